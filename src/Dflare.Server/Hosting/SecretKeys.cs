using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Secrets;
using Dflare.Persistence.Store;

namespace Dflare.Server.Hosting;

/// <summary>Where the keys that seal secrets at rest live. Bound from the <c>Secrets</c> section.</summary>
public sealed class SecretsOptions
{
    public const string SectionName = "Secrets";

    /// <summary>
    /// A JSON file <c>{"active":"k1","keys":{"k1":"&lt;base64 of 32 bytes&gt;"}}</c>. Default: <c>secret-keys.json</c>
    /// in <c>Store:DataDirectory</c>, created (mode 0600) on first start. Replicas sharing PostgreSQL must share it.
    /// To rotate, add a key and make it active; keep old keys while values sealed with them remain.
    /// </summary>
    public string? KeyFile { get; set; }
}

internal static class SecretKeys
{
    public static SecretProtector Load(SecretsOptions secrets, StoreOptions store)
    {
        var path = secrets.KeyFile ?? Path.Combine(Path.GetFullPath(store.DataDirectory), "secret-keys.json");
        if (!File.Exists(path))
        {
            if (secrets.KeyFile is not null)
            {
                throw new ConfigurationException([$"Secrets:KeyFile '{path}' does not exist."]);
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            CreateAtomically(path);
        }
        try
        {
            var file = JsonNode.Parse(File.ReadAllText(path))!;
            var keys = file["keys"]!.AsObject().ToDictionary(k => k.Key, k => Convert.FromBase64String((string)k.Value!));
            return new SecretProtector(keys, (string)file["active"]!);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or NullReferenceException or ArgumentException or InvalidOperationException)
        {
            throw new ConfigurationException([$"Secrets:KeyFile '{path}' is not a valid key file: {ex.Message}"]);
        }
    }

    // Written under a temporary name and moved into place, so two processes starting together on one data directory
    // never read a half-written file; the second move loses and that process reads the first one's keys.
    private static void CreateAtomically(string path)
    {
        var created = new JsonObject { ["active"] = "k1", ["keys"] = new JsonObject { ["k1"] = Convert.ToBase64String(SecretProtector.NewKey()) } };
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, created);
        }
        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
        }
    }
}
