namespace IoTix.Tests.Shared;

/// <summary>Waits for a condition that becomes true asynchronously (counters updated after the message a test saw).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, int timeoutSeconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what}: not within {timeoutSeconds} s");
            await Task.Delay(10);
        }
    }
}
