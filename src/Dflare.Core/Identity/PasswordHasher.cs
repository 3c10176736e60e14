using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Dflare.Core.Identity;

/// <summary>
/// Local users' passwords: Argon2id (RFC 9106) with a random salt, stored in PHC form
/// (<c>$argon2id$v=19$m=…,t=…,p=1$salt$hash</c>) so the parameters can be raised later without breaking old hashes.
/// </summary>
public sealed class PasswordHasher(IOptions<IdentityOptions> options)
{
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    public const int MinLength = 12;

    private string? _decoy;

    /// <summary>Verified when the user name is unknown, at the configured cost, so a wrong name costs as long as a wrong password.</summary>
    public string DecoyHash => _decoy ??= Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));

    public string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var (memory, iterations) = (options.Value.PasswordMemoryKiB, options.Value.PasswordIterations);
        var hash = Derive(password, salt, memory, iterations, HashBytes);
        return $"$argon2id$v=19$m={memory},t={iterations},p=1${B64(salt)}${B64(hash)}";
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts is not ["", "argon2id", "v=19", var parameters, var saltText, var hashText])
        {
            return false;
        }
        var values = parameters.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        var expected = FromB64(hashText);
        var actual = Derive(password, FromB64(saltText), values["m"], values["t"], expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static byte[] Derive(string password, byte[] salt, int memoryKiB, int iterations, int length)
    {
        using var argon = new Argon2id(Encoding.UTF8.GetBytes(password)) { Salt = salt, MemorySize = memoryKiB, Iterations = iterations, DegreeOfParallelism = 1 };
        return argon.GetBytes(length);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[] FromB64(string text) => Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));
}
