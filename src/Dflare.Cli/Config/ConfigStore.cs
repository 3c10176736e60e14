using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dflare.Cli.Config;

/// <summary>
/// Reads and writes the CLI's files under one directory (<c>$DFLARE_CONFIG</c>, else <c>~/.dflare</c>): the
/// contexts in <c>config.json</c> and each context's credential in <c>tokens/&lt;context&gt;.json</c>, created with
/// mode 0600 so other users of the machine cannot read them. Writes go to a temporary file renamed into place, so a
/// killed command never leaves half a file.
/// </summary>
public sealed class ConfigStore(string directory)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string Directory => directory;

    public string ConfigPath => Path.Combine(directory, "config.json");

    public static string DefaultDirectory(IReadOnlyDictionary<string, string?> environment) =>
        environment.GetValueOrDefault("DFLARE_CONFIG") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dflare");

    public CliConfigFile Load()
    {
        if (!File.Exists(ConfigPath))
        {
            return CliConfigFile.Empty;
        }
        try
        {
            var file = JsonSerializer.Deserialize<CliConfigFile>(File.ReadAllText(ConfigPath), Json) ?? CliConfigFile.Empty;
            return file with { Contexts = new Dictionary<string, CliContext>(file.Contexts ?? [], StringComparer.Ordinal) };
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.Error, $"{ConfigPath} cannot be read: {ex.Message}");
        }
    }

    public void Save(CliConfigFile config) => Write(ConfigPath, JsonSerializer.Serialize(config, Json));

    public StoredCredential? LoadCredential(string context)
    {
        var path = CredentialPath(context);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<StoredCredential>(File.ReadAllText(path), Json) : null;
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.Unauthorized, $"{path} cannot be read ({ex.Message}); sign in again with dflare login.");
        }
    }

    public void SaveCredential(string context, StoredCredential credential) => Write(CredentialPath(context), JsonSerializer.Serialize(credential, Json));

    public void DeleteCredential(string context) => File.Delete(CredentialPath(context));

    private string CredentialPath(string context) => Path.Combine(directory, "tokens", context + ".json");

    private static void Write(string path, string text)
    {
        var folder = Path.GetDirectoryName(path)!;
        System.IO.Directory.CreateDirectory(folder);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
