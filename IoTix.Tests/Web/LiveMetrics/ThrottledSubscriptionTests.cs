using IoTix.Web.LiveMetrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Web.LiveMetrics;

public sealed class ThrottledSubscriptionTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void First_notification_calls_at_once()
    {
        var calls = 0;
        using var subscription = new ThrottledSubscription(_ => { calls++; return Task.CompletedTask; }, TimeSpan.FromSeconds(1), _time, NullLogger.Instance);

        subscription.Notify();

        Assert.Equal(1, calls);
    }

    [Fact]
    public void Notifications_within_the_interval_coalesce_into_one_trailing_call()
    {
        var calls = 0;
        using var subscription = new ThrottledSubscription(_ => { calls++; return Task.CompletedTask; }, TimeSpan.FromSeconds(1), _time, NullLogger.Instance);
        subscription.Notify();

        for (int i = 0; i < 9; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            subscription.Notify();
        }

        Assert.Equal(1, calls);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(2, calls);
    }

    [Fact]
    public void Hundred_notifications_over_five_seconds_give_at_most_six_calls()
    {
        var calls = 0;
        using var subscription = new ThrottledSubscription(_ => { calls++; return Task.CompletedTask; }, TimeSpan.FromSeconds(1), _time, NullLogger.Instance);

        for (int i = 0; i < 100; i++)
        {
            subscription.Notify();
            _time.Advance(TimeSpan.FromMilliseconds(50));
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.InRange(calls, 5, 6);
    }

    [Fact]
    public void Disposed_subscription_never_calls_again()
    {
        var calls = 0;
        var subscription = new ThrottledSubscription(_ => { calls++; return Task.CompletedTask; }, TimeSpan.FromSeconds(1), _time, NullLogger.Instance);
        subscription.Notify();
        subscription.Notify(); // pending trailing call

        subscription.Dispose();
        _time.Advance(TimeSpan.FromSeconds(5));
        subscription.Notify();

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task A_notification_during_a_slow_call_gives_one_more_call_after_it()
    {
        var calls = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = new ThrottledSubscription(
            async _ =>
            {
                if (Interlocked.Increment(ref calls) == 2)
                {
                    second.TrySetResult();
                }

                await release.Task.ConfigureAwait(false);
            },
            TimeSpan.Zero,
            _time,
            NullLogger.Instance);
        subscription.Notify();

        subscription.Notify();
        subscription.Notify();
        int duringCall = Volatile.Read(ref calls);
        release.SetResult();
        await second.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, duringCall);
        Assert.Equal(2, Volatile.Read(ref calls));
    }

    [Fact]
    public void A_failing_callback_stays_subscribed()
    {
        var calls = 0;
        using var subscription = new ThrottledSubscription(_ => { calls++; throw new InvalidOperationException("boom"); }, TimeSpan.Zero, _time, NullLogger.Instance);

        subscription.Notify();
        subscription.Notify();

        Assert.Equal(2, calls);
    }
}
