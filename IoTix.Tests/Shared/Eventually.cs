namespace IoTix.Tests.Shared;

/// <summary>Waits for a condition by polling (30 s: tests run on a loaded machine), never on fixed sleeps.</summary>
public static class Eventually
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Polls <paramref name="probe"/> until it returns a value; fails naming <paramref name="what"/> after <see cref="Timeout"/>.</summary>
    public static Task<T> GetAsync<T>(Func<T?> probe, string what = "condition")
        where T : class => GetAsync(() => Task.FromResult(probe()), what);

    public static async Task<T> GetAsync<T>(Func<Task<T?>> probe, string what = "condition")
        where T : class
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{what} not reached within {Timeout.TotalSeconds} s");
            await Task.Delay(25);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails naming <paramref name="what"/> after <see cref="Timeout"/>.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what = "condition")
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} not reached within {Timeout.TotalSeconds} s");
            await Task.Delay(10);
        }
    }
}
