using System.CommandLine;
using System.Text.Json.Nodes;
using Dflare.Cli.Config;
using Dflare.Cli.Resources;
using Dflare.Client.Api;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare access CLUSTER</c>: how to reach a cluster — its endpoint and Slurm details; <c>--kubeconfig</c> prints
/// only the kubeconfig (it signs in with the tenant's realm), for <c>dflare access inference --kubeconfig &gt; kubeconfig</c>.
/// </summary>
public static class AccessCommand
{
    public static Command Build(CliConsole console)
    {
        var cluster = new Argument<string>("cluster") { Description = "The cluster." };
        var kubeconfig = new Option<bool>("--kubeconfig") { Description = "Print only the kubeconfig (Kubernetes clusters)." };
        var command = new Command("access", "Show how to reach a cluster: endpoint, Slurm details, kubeconfig.") { cluster, kubeconfig };
        command.SetAction((parse, ct) => Guarded.RunAsync(console, async () =>
        {
            var session = Session.Open(console, GlobalFlags.From(parse));
            var name = parse.GetValue(cluster)!;
            var access = await session.Client.GetAsync($"{ResourceTypes.Clusters.ItemPath(session.Tenant(parse.GetValue(GlobalFlags.Tenant)), name)}/access", ct);
            if (parse.GetValue(kubeconfig))
            {
                var text = Fields.Text(access, "kubeconfig");
                if (text.Length == 0)
                {
                    throw new CliException(ExitCodes.NotFound, $"Cluster '{name}' has no kubeconfig: it is a {Fields.Text(access, "type")} cluster.");
                }
                await console.Out.WriteAsync(text.EndsWith('\n') ? text : text + "\n");
                return ExitCodes.Ok;
            }
            await console.Out.WriteLineAsync($"Cluster:   {name} ({Fields.Text(access, "type")})");
            await console.Out.WriteLineAsync($"Endpoint:  {Fields.Text(access, "endpoint")}");
            foreach (var (key, value) in access["details"] as JsonObject ?? [])
            {
                await console.Out.WriteLineAsync($"{key + ":",-10} {(value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString())}");
            }
            if (Fields.Text(access, "kubeconfig").Length > 0)
            {
                await console.Out.WriteLineAsync($"Kubeconfig: dflare access {name} --kubeconfig > {name}.kubeconfig");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
