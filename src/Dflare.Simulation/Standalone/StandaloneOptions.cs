using System.Globalization;

namespace Dflare.Simulation.Standalone;

/// <summary>What <c>dflare-sim</c> is told on its command line.</summary>
public sealed record StandaloneOptions
{
    public const string Usage = """
        usage: dflare-sim --control-plane URL [--token CREDENTIAL] [--topology FILE] [--time-scale X]
                          [--urls URL] [--boot-server URL] [--state-dir DIR]
          --control-plane  the control plane's API address, e.g. http://127.0.0.1:5080
          --token          a platform-admin credential (default: $DFLARE_TOKEN)
          --topology       a topology file (docs/simulation.md); default 2 racks x 8 nodes x 8 GPUs
          --time-scale     boot durations are multiplied by this: 1 is about a minute a node, 0 is instant (default 0.1)
          --urls           where the simulated BMCs listen (default http://127.0.0.1:0, a free port)
          --boot-server    where machines fetch iPXE and cloud-init (default: the control plane)
          --state-dir      where agents keep their keys and certificates across restarts (default: in memory)
        exit codes: 0 stopped by a signal, 1 the control plane refused or could not be reached, 2 usage
        """;

    public required Uri ControlPlane { get; init; }

    public required string Token { get; init; }

    public string? TopologyFile { get; init; }

    public double TimeScale { get; init; } = 0.1;

    public string Urls { get; init; } = "http://127.0.0.1:0";

    public Uri? BootServer { get; init; }

    public string? StateDirectory { get; init; }

    public bool Help { get; init; }

    /// <summary>The options, or what is wrong with the command line in one line.</summary>
    public static (StandaloneOptions? Options, string? Problem) Parse(IReadOnlyList<string> args, string? tokenFromEnvironment)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help" or "help")
            {
                return (new StandaloneOptions { ControlPlane = new Uri("http://127.0.0.1/"), Token = "", Help = true }, null);
            }
            var (name, value) = arg.Split('=', 2) is [var n, var v] ? (n, v) : (arg, i + 1 < args.Count ? args[++i] : null);
            if (name is not ("--control-plane" or "--token" or "--topology" or "--time-scale" or "--urls" or "--boot-server" or "--state-dir"))
            {
                return (null, $"unknown argument '{arg}'");
            }
            if (value is null)
            {
                return (null, $"{name} needs a value");
            }
            values[name] = value;
        }
        if (!values.TryGetValue("--control-plane", out var controlPlane))
        {
            return (null, "--control-plane is required");
        }
        if (!TryHttpUri(controlPlane, out var controlPlaneUri))
        {
            return (null, $"--control-plane '{controlPlane}' is not an http(s) address");
        }
        Uri? bootServerUri = null;
        if (values.TryGetValue("--boot-server", out var bootServer) && !TryHttpUri(bootServer, out bootServerUri))
        {
            return (null, $"--boot-server '{bootServer}' is not an http(s) address");
        }
        var token = values.GetValueOrDefault("--token") ?? tokenFromEnvironment;
        if (string.IsNullOrWhiteSpace(token))
        {
            return (null, "a credential is required: --token or DFLARE_TOKEN");
        }
        var timeScale = 0.1;
        if (values.TryGetValue("--time-scale", out var scale)
            && (!double.TryParse(scale, NumberStyles.Float, CultureInfo.InvariantCulture, out timeScale) || timeScale is < 0 or > 100 || double.IsNaN(timeScale)))
        {
            return (null, $"--time-scale must be a number from 0 to 100; it is '{scale}'");
        }
        return (new StandaloneOptions
        {
            ControlPlane = controlPlaneUri!,
            Token = token,
            TopologyFile = values.GetValueOrDefault("--topology"),
            TimeScale = timeScale,
            Urls = values.GetValueOrDefault("--urls") ?? "http://127.0.0.1:0",
            BootServer = bootServerUri,
            StateDirectory = values.GetValueOrDefault("--state-dir"),
        }, null);
    }

    private static bool TryHttpUri(string text, out Uri? uri)
    {
        uri = Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" ? parsed : null;
        return uri is not null;
    }
}
