using Microsoft.Extensions.Configuration;

namespace Dflare.Server.Hosting;

/// <summary>
/// Where settings come from, lowest precedence first: the documented defaults, a JSON file (<c>--config PATH</c>, or
/// <c>DFLARE_CONFIG</c>, or <c>dflare.json</c> in the working directory when present), environment variables prefixed
/// <c>DFLARE_</c> (<c>DFLARE_Store__Provider=Postgres</c>), then the command line (<c>--Store:Provider=Postgres</c>).
/// </summary>
public static class DflareConfiguration
{
    public const string EnvironmentPrefix = "DFLARE_";
    public const string DefaultFileName = "dflare.json";

    /// <summary>Short flags for the settings people change most.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>
    {
        ["--urls"] = "Server:Urls",
        ["--data-dir"] = "Store:DataDirectory",
        ["--store"] = "Store:Provider",
        ["--connection-string"] = "Store:ConnectionString",
    };

    private static readonly Dictionary<string, string?> LoggingDefaults = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        // Authentication pulls in Data Protection, which warns about unencrypted keys; Dflare issues no cookies.
        ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
        // Every refused credential is already a logged 401 request line.
        ["Logging:LogLevel:Dflare.Server.Access.BearerAuthentication"] = "Warning",
    };

    /// <summary>Replaces <paramref name="configuration"/>'s sources with Dflare's. Throws <see cref="ConfigurationException"/>
    /// when a named config file is missing.</summary>
    public static void Apply(IConfigurationManager configuration, IReadOnlyList<string> args, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var (file, rest) = ExtractConfigFile(args);
        file ??= Environment.GetEnvironmentVariable(EnvironmentPrefix + "CONFIG");
        var explicitFile = file is not null;
        file ??= Path.Combine(Directory.GetCurrentDirectory(), DefaultFileName);
        if (explicitFile && !File.Exists(file))
        {
            throw new ConfigurationException([$"The configuration file '{file}' does not exist."]);
        }
        configuration.Sources.Clear();
        configuration.AddInMemoryCollection(LoggingDefaults);
        configuration.AddJsonFile(Path.GetFullPath(file), optional: !explicitFile, reloadOnChange: false);
        configuration.AddEnvironmentVariables(EnvironmentPrefix);
        configuration.AddCommandLine([.. rest], SwitchMappings.ToDictionary());
        if (overrides is not null)
        {
            configuration.AddInMemoryCollection(overrides);
        }
    }

    private static (string? File, List<string> Remaining) ExtractConfigFile(IReadOnlyList<string> args)
    {
        string? file = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--config")
            {
                if (i + 1 >= args.Count)
                {
                    throw new ConfigurationException(["--config needs a file path."]);
                }
                file = args[++i];
            }
            else if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                file = args[i]["--config=".Length..];
            }
            else
            {
                rest.Add(args[i]);
            }
        }
        return (file, rest);
    }
}
