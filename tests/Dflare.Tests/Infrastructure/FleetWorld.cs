using Dflare.Tests.Core.Clusters;

namespace Dflare.Tests.Infrastructure;

/// <summary>One simulated datacenter (16 Ready nodes) shared by the tests of the access layer (CLI, SDK, portal, the
/// tenant's operations); each test signs in from a config directory of its own and works in tenants of its own.</summary>
public sealed class FleetWorld : IAsyncLifetime
{
    private readonly List<TempDirectory> _directories = [];
    private ClusterWorld? _world;

    public ClusterWorld Cluster => _world ?? throw new InvalidOperationException("Not started.");

    public string Url => Cluster.Server.Server.BaseAddress.ToString().TrimEnd('/');

    public async ValueTask InitializeAsync() => _world = await ClusterWorld.StartAsync(settings: new Dictionary<string, string?> { ["Identity:DevicePollSeconds"] = "1" });

    /// <summary>A CLI with an empty configuration of its own.</summary>
    public Dflare.Tests.Cli.CliRunner NewCli(IReadOnlyDictionary<string, string?>? environment = null)
    {
        var directory = new TempDirectory();
        lock (_directories)
        {
            _directories.Add(directory);
        }
        return new Dflare.Tests.Cli.CliRunner(directory.Path, environment);
    }

    /// <summary>A CLI signed in with the bootstrap credential, working in <paramref name="tenant"/>.</summary>
    public async Task<Dflare.Tests.Cli.CliRunner> AdminAsync(string? tenant = null)
    {
        var cli = NewCli();
        await cli.OkAsync("login", "--server", Url, "--token", TestServer.AdminCredential);
        if (tenant is not null)
        {
            await cli.OkAsync("config", "set-context", "platform", "--tenant", tenant);
        }
        return cli;
    }

    /// <summary>Writes <paramref name="text"/> to a file of its own and answers its path.</summary>
    public string File(string name, string text)
    {
        var directory = new TempDirectory();
        lock (_directories)
        {
            _directories.Add(directory);
        }
        var path = Path.Combine(directory.Path, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public static string Example(string name) => Path.Combine(Dflare.Tests.Server.Api.ProblemCodesTests.RepositoryRoot(), "examples", name);

    public async ValueTask DisposeAsync()
    {
        if (_world is not null)
        {
            await _world.DisposeAsync();
        }
        foreach (var directory in _directories)
        {
            directory.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class FleetCollection : ICollectionFixture<FleetWorld>
{
    public const string Name = "fleet";
}
