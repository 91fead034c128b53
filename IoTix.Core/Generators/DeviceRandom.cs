using System.Runtime.CompilerServices;

namespace IoTix.Core.Generators;

/// <summary>
/// A small, fast, reproducible random source (xoshiro256**), 32 bytes of state, seeded from the
/// run seed and the device id so a run can be replayed exactly. Not thread-safe: one per device
/// (or per device and telemetry item), used on the scheduler's thread.
/// </summary>
public struct DeviceRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public DeviceRandom(ulong seed)
    {
        // SplitMix64 expands one 64-bit seed into the four words of state.
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    /// <summary>Seed for <paramref name="deviceId"/> in run <paramref name="runSeed"/>, with a <paramref name="stream"/> number to give independent sources to one device's items.</summary>
    public static DeviceRandom For(ulong runSeed, string deviceId, int stream = 0) =>
        new(Mix(runSeed, deviceId, stream));

    /// <summary>Stable 64-bit seed from the run seed, the device id and a stream number (FNV-1a over the id's UTF-16 code units).</summary>
    public static ulong Mix(ulong runSeed, string deviceId, int stream = 0)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in deviceId)
        {
            h ^= c;
            h *= 1099511628211UL;
        }

        return runSeed ^ h ^ ((ulong)(uint)stream * 0x9E3779B97F4A7C15UL);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, maxExclusive).</summary>
    public int NextInt(int maxExclusive) => (int)((NextUInt64() >> 33) % (ulong)maxExclusive);

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
