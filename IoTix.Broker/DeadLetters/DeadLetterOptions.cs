using Microsoft.Extensions.Options;

namespace IoTix.Broker.DeadLetters;

/// <summary>The dead-letter queue (FR-033), configuration section <c>Broker:DeadLetters</c>.</summary>
public sealed class DeadLetterOptions
{
    public const string SectionName = "Broker:DeadLetters";

    /// <summary>Keep undeliverable messages when the host provides a store. <c>Broker:DeadLetters:Enabled</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Most dead letters kept; beyond it the oldest are deleted. <c>Broker:DeadLetters:MaxMessages</c>.</summary>
    public long MaxMessages { get; set; } = 10_000;

    /// <summary>Payload bytes kept per dead letter; a longer payload is cut (and cannot be re-published). <c>Broker:DeadLetters:MaxPayloadBytes</c>.</summary>
    public int MaxPayloadBytes { get; set; } = 64 * 1024;

    /// <summary>Bound of the queue between the MQTT path and the store; when full new dead letters are not kept (counted). <c>Broker:DeadLetters:QueueCapacity</c>.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Dead letters per store call. <c>Broker:DeadLetters:BatchSize</c>.</summary>
    public int BatchSize { get; set; } = 200;
}

/// <summary>Start-up validation of <see cref="DeadLetterOptions"/>; each message names the key.</summary>
public sealed class DeadLetterOptionsValidator : IValidateOptions<DeadLetterOptions>
{
    public ValidateOptionsResult Validate(string? name, DeadLetterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.MaxMessages is < 1 or > 100_000_000)
        {
            errors.Add($"Broker:DeadLetters:MaxMessages {options.MaxMessages} must be between 1 and 100000000.");
        }

        if (options.MaxPayloadBytes is < 0 or > 268_435_455)
        {
            errors.Add($"Broker:DeadLetters:MaxPayloadBytes {options.MaxPayloadBytes} must be between 0 and 268435455.");
        }

        if (options.QueueCapacity is < 1 or > 10_000_000)
        {
            errors.Add($"Broker:DeadLetters:QueueCapacity {options.QueueCapacity} must be between 1 and 10000000.");
        }

        if (options.BatchSize is < 1 or > 100_000)
        {
            errors.Add($"Broker:DeadLetters:BatchSize {options.BatchSize} must be between 1 and 100000.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
