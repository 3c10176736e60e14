using System.Security.Cryptography;
using System.Text;

namespace Dflare.Core.Secrets;

/// <summary>
/// Encrypts secrets at rest (BMC passwords, later agent and service-account secrets) with AES-256-GCM. A sealed value
/// is <c>v1:{key id}:{base64 nonce|ciphertext|tag}</c>, so keys can rotate: new values use the active key, old ones
/// open with the key they name. The purpose is bound as associated data, so a BMC password cannot be replayed as
/// another kind of secret.
/// </summary>
public sealed class SecretProtector
{
    private const string Version = "v1";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly IReadOnlyDictionary<string, byte[]> _keys;
    private readonly string _activeKeyId;

    /// <param name="keys">Key id to 32-byte key; ids are short names such as <c>k1</c>.</param>
    /// <param name="activeKeyId">The key new values are sealed with.</param>
    public SecretProtector(IReadOnlyDictionary<string, byte[]> keys, string activeKeyId)
    {
        if (!keys.TryGetValue(activeKeyId, out var active) || active.Length != 32)
        {
            throw new ArgumentException($"The active key '{activeKeyId}' must be one of the keys and 32 bytes long.", nameof(activeKeyId));
        }
        if (keys.Keys.Any(id => id.Length == 0 || id.Contains(':', StringComparison.Ordinal)))
        {
            throw new ArgumentException("Key ids must be non-empty and contain no ':'.", nameof(keys));
        }
        _keys = keys;
        _activeKeyId = activeKeyId;
    }

    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    public string Seal(string purpose, string secret)
    {
        var plaintext = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_keys[_activeKeyId], TagSize);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), Encoding.UTF8.GetBytes(purpose));
        return $"{Version}:{_activeKeyId}:{Convert.ToBase64String(sealedBytes)}";
    }

    /// <summary>Opens a sealed value; throws <see cref="DflareException"/> if it was tampered with, sealed for another
    /// purpose, or sealed with a key this process does not have.</summary>
    public string Open(string purpose, string sealedValue)
    {
        var parts = sealedValue.Split(':', 3);
        if (parts.Length != 3 || parts[0] != Version)
        {
            throw new DflareException("The sealed secret is not in a format this version reads.");
        }
        if (!_keys.TryGetValue(parts[1], out var key))
        {
            throw new DflareException($"The secret was sealed with key '{parts[1]}', which is not configured.");
        }
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException ex)
        {
            throw new DflareException("The sealed secret is damaged.", ex);
        }
        if (bytes.Length < NonceSize + TagSize)
        {
            throw new DflareException("The sealed secret is damaged.");
        }
        var length = bytes.Length - NonceSize - TagSize;
        var plaintext = new byte[length];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(bytes.AsSpan(0, NonceSize), bytes.AsSpan(NonceSize, length), bytes.AsSpan(NonceSize + length), plaintext, Encoding.UTF8.GetBytes(purpose));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new DflareException("The sealed secret was altered, or sealed for another purpose.", ex);
        }
        return Encoding.UTF8.GetString(plaintext);
    }
}
