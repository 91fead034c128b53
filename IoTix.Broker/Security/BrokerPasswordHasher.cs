using System.Buffers.Binary;
using System.Security.Cryptography;

namespace IoTix.Broker.Security;

/// <summary>
/// PBKDF2 password hashes in the ASP.NET Core Identity v3 layout, so hashes from either side verify:
/// base64( 0x01 | PRF (uint32 BE: 0 SHA1, 1 SHA256, 2 SHA512) | iterations | salt length | salt | subkey ).
/// </summary>
public static class BrokerPasswordHasher
{
    private const byte FormatMarker = 0x01;
    private const int DefaultIterations = 100_000;
    private const int SaltBytes = 16;
    private const int SubkeyBytes = 32;
    private const int HeaderBytes = 13;

    public static string HashPassword(string password) => HashPassword(password, DefaultIterations);

    /// <summary>
    /// A hash with <paramref name="iterations"/> PBKDF2 rounds. Fewer than the default only for a random secret of at
    /// least 128 bits that no person chose (a host's internal identity): its strength is its entropy, and every
    /// CONNECT verifies it, so it must be cheap. Never for a chosen password.
    /// </summary>
    public static string HashPassword(string password, int iterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var subkey = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA512, SubkeyBytes);

        var output = new byte[HeaderBytes + SaltBytes + SubkeyBytes];
        output[0] = FormatMarker;
        BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(1), 2);
        BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(5), (uint)iterations);
        BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(9), SaltBytes);
        salt.CopyTo(output.AsSpan(HeaderBytes));
        subkey.CopyTo(output.AsSpan(HeaderBytes + SaltBytes));
        return Convert.ToBase64String(output);
    }

    public static bool IsWellFormed(string? hash) => TryDecode(hash, out _, out _, out _, out _);

    /// <summary>Constant-time check of <paramref name="password"/> against <paramref name="hash"/>; false for malformed hashes.</summary>
    public static bool Verify(string? hash, ReadOnlySpan<byte> password)
    {
        if (!TryDecode(hash, out var algorithm, out var iterations, out var salt, out var expected))
        {
            return false;
        }

        var actual = new byte[expected.Length];
        Rfc2898DeriveBytes.Pbkdf2(password, salt, actual, iterations, algorithm);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static bool TryDecode(string? hash, out HashAlgorithmName algorithm, out int iterations, out byte[] salt, out byte[] subkey)
    {
        algorithm = default;
        iterations = 0;
        salt = [];
        subkey = [];
        if (string.IsNullOrWhiteSpace(hash))
        {
            return false;
        }

        var bytes = new byte[hash.Length];
        if (!Convert.TryFromBase64String(hash, bytes, out var length) || length < HeaderBytes + 1 || bytes[0] != FormatMarker)
        {
            return false;
        }

        var span = bytes.AsSpan(0, length);
        algorithm = BinaryPrimitives.ReadUInt32BigEndian(span[1..]) switch
        {
            0 => HashAlgorithmName.SHA1,
            1 => HashAlgorithmName.SHA256,
            2 => HashAlgorithmName.SHA512,
            _ => default,
        };
        var iterationCount = BinaryPrimitives.ReadUInt32BigEndian(span[5..]);
        var saltLength = BinaryPrimitives.ReadUInt32BigEndian(span[9..]);
        if (algorithm == default || iterationCount is 0 or > int.MaxValue || saltLength < 8 || HeaderBytes + saltLength >= length)
        {
            return false;
        }

        iterations = (int)iterationCount;
        salt = span.Slice(HeaderBytes, (int)saltLength).ToArray();
        subkey = span[(HeaderBytes + (int)saltLength)..].ToArray();
        return subkey.Length >= 16;
    }
}
