using System.Security.Cryptography;
using System.Text;

namespace Dflare.Simulation;

/// <summary>Golden images in the simulated datacenter live at <c>sim://images/{name}</c>; their bytes are a
/// function of the name, so the catalog's checksum is real and a corrupted download really fails to match.</summary>
public static class SimulatedImages
{
    public static Uri Url(string name) => new($"sim://images/{name}");

    public static byte[] Content(string name) => Encoding.UTF8.GetBytes($"dflare simulated golden image '{name}'\n");

    public static string Sha256(string name) => Convert.ToHexStringLower(SHA256.HashData(Content(name)));

    /// <summary>What a node downloads from <paramref name="url"/>; null for an address that serves nothing.</summary>
    public static byte[]? Download(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == "sim" && uri.Host == "images" ? Content(uri.AbsolutePath.Trim('/')) : null;
}
