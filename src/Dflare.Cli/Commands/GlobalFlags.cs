using System.CommandLine;
using Dflare.Cli.Config;

namespace Dflare.Cli.Commands;

/// <summary>Flags every command takes, placed anywhere on the line.</summary>
public static class GlobalFlags
{
    public static readonly Option<string?> Context = new("--context") { Description = "The context to use instead of the current one.", Recursive = true };

    public static readonly Option<string?> Server = new("--server") { Description = "The control plane's address, e.g. http://127.0.0.1:5080.", Recursive = true };

    public static readonly Option<string?> Tenant = new("--tenant", "-t") { Description = "The tenant of tenant-owned objects (clusters, volumes, VPCs, subnets, projects, usage).", Recursive = true };

    public static GlobalOptions From(ParseResult parse) => new(parse.GetValue(Context), parse.GetValue(Server), parse.GetValue(Tenant));
}
