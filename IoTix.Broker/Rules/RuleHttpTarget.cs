using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace IoTix.Broker.Rules;

/// <summary>
/// An HTTP target of an action (webhook URL, InfluxDB) behind one resilience pipeline (FR-041, FR-043a): a timeout per
/// attempt, retries with exponential backoff and jitter on transport errors, timeouts, 408, 429 and 5xx, and a
/// circuit breaker that stops calling a target that keeps failing and probes it again after
/// <c>Broker:Rules:CircuitBreakSeconds</c>. Answers an error text instead of throwing.
/// </summary>
internal sealed class RuleHttpTarget
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly HttpClient _http;

    public RuleHttpTarget(RuleRuntime runtime, string ruleId, string target, int timeoutMs, int retries, int retryDelayMs)
    {
        _http = runtime.Http;
        var logger = runtime.Logger;
        var shouldHandle = new PredicateBuilder<HttpResponseMessage>()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .HandleResult(static response => IsTransient(response.StatusCode));
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = runtime.TimeProvider };
        if (retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = retries,
                Delay = TimeSpan.FromMilliseconds(retryDelayMs),
                MaxDelay = MaxRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = shouldHandle,
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            FailureRatio = 0.5,
            MinimumThroughput = runtime.Options.CircuitMinimumCalls,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = TimeSpan.FromSeconds(runtime.Options.CircuitBreakSeconds),
            ShouldHandle = shouldHandle,
            OnOpened = args =>
            {
                RuleEngineLog.CircuitOpened(logger, ruleId, target, (int)args.BreakDuration.TotalSeconds);
                return default;
            },
            OnClosed = _ =>
            {
                RuleEngineLog.CircuitClosed(logger, ruleId, target);
                return default;
            },
        });
        builder.AddTimeout(TimeSpan.FromMilliseconds(timeoutMs));
        _pipeline = builder.Build();
    }

    /// <summary>Sends the request <paramref name="create"/> builds (once per attempt); null on success, else what failed.</summary>
    public async Task<string?> SendAsync<TState>(Func<TState, HttpRequestMessage> create, TState state, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _pipeline.ExecuteAsync(
                static async (context, token) =>
                {
                    using var request = context.Create(context.State);
                    return await context.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
                },
                new Attempt<TState>(_http, create, state),
                cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (BrokenCircuitException)
        {
            return "circuit open: the target failed repeatedly, calls are paused";
        }
        catch (TimeoutRejectedException)
        {
            return "timed out";
        }
        catch (HttpRequestException exception)
        {
            return exception.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "cancelled";
        }
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private readonly record struct Attempt<TState>(HttpClient Http, Func<TState, HttpRequestMessage> Create, TState State);
}
