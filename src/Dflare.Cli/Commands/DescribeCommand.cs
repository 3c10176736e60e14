using System.CommandLine;
using System.Text.Json.Nodes;
using Dflare.Cli.Config;
using Dflare.Cli.Output;
using Dflare.Cli.Resources;
using Dflare.Client.Api;
using Dflare.Client.Operations;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare describe KIND NAME</c>: one object for people — who and when, its spec and status, and what a person asks
/// next: a cluster's nodes, network, volumes, access and last operation; a node's history; an operation's steps.
/// </summary>
public static class DescribeCommand
{
    public static Command Build(CliConsole console)
    {
        var kind = new Argument<string>("kind") { Description = "The kind of object." };
        var name = new Argument<string?>("name") { Description = "Its name (an operation's id)." };
        Completions.ForKinds(kind, withReports: false);
        Completions.ForNames(name, kind, console);
        var command = new Command("describe", "Show one object in detail.") { kind, name };
        command.SetAction((parse, ct) => Guarded.RunAsync(console, async () =>
        {
            var type = ResourceTypes.Resolve(parse.GetValue(kind)!);
            var session = Session.Open(console, GlobalFlags.From(parse));
            var target = parse.GetValue(name) ?? throw new CliException(ExitCodes.Usage, $"Say which {type.Kind.ToLowerInvariant()}: dflare describe {type.Plural} NAME.");
            var path = $"{Paths.Collection(session, type, parse.GetValue(GlobalFlags.Tenant))}/{Uri.EscapeDataString(target)}";
            var item = await session.Client.GetAsync(path, ct);
            var output = console.Out;
            var now = console.Time.GetUtcNow();
            Field(output, "Name", Fields.Text(item, "metadata.name"));
            Field(output, "Kind", Fields.Text(item, "kind"));
            if (Fields.Text(item, "metadata.tenant") is { Length: > 0 } tenant)
            {
                Field(output, "Tenant", tenant);
            }
            Field(output, "Labels", Fields.Text(item, "metadata.labels") is { Length: > 0 } labels ? labels : "<none>");
            Field(output, "Created", $"{Fields.Text(item, "metadata.creationTimestamp")} ({Fields.Age(Fields.Time(item, "metadata.creationTimestamp"), now)} ago)");
            if (type == ResourceTypes.Clusters)
            {
                await ClusterAsync(output, session, type, item, path, ct);
            }
            else if (type == ResourceTypes.Operations)
            {
                Steps(output, OperationView.From(item), now);
            }
            else
            {
                Section(output, "Spec", item["spec"]);
                Section(output, "Status", item["status"]);
            }
            if (type == ResourceTypes.Nodes)
            {
                await HistoryAsync(output, session, path, now, ct);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task ClusterAsync(TextWriter output, Session session, ResourceType type, JsonObject cluster, string path, CancellationToken cancellationToken)
    {
        Field(output, "Project", Fields.Text(cluster, "spec.project"));
        Field(output, "Type", Fields.Text(cluster, "spec.type") + (Fields.Text(cluster, "status.kubernetesVersion") is { Length: > 0 } v ? $" (Kubernetes {v})" : ""));
        Field(output, "Phase", Fields.Text(cluster, "status.phase") + (Fields.Text(cluster, "status.reason") is { Length: > 0 } r ? $": {r}" : ""));
        Section(output, "Spec", cluster["spec"]);
        var nodes = (cluster["status"]?["nodes"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        output.WriteLine($"Nodes ({nodes.Count}, {nodes.Sum(n => n["gpus"]?.GetValue<int>() ?? 0)} GPUs):");
        if (nodes.Count > 0)
        {
            TableWriter.Write(Indented(output), ["NODE", "POOL", "GPUS", "GPU-MODEL", "RACK", "LEAF", "IB-LEAF"], nodes.Select(n => (IReadOnlyList<string>)
                [Fields.Text(n, "node"), Fields.Text(n, "pool"), Fields.Text(n, "gpus"), Fields.Text(n, "gpuModel"), Fields.Text(n, "rack"), Fields.Text(n, "leaf"), Fields.Text(n, "infinibandLeaf")]));
        }
        var volumes = (cluster["status"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        output.WriteLine($"Volumes ({volumes.Count}):");
        foreach (var mount in volumes)
        {
            output.WriteLine($"  {Fields.Text(mount, "volume")} at {Fields.Text(mount, "mountPath")}{(mount["readOnly"]?.GetValue<bool>() == true ? " (read-only)" : "")}");
        }
        if (Fields.Text(cluster, "status.phase") == "Operational")
        {
            try
            {
                var access = await session.Client.GetAsync($"{path}/access", cancellationToken);
                output.WriteLine("Access:");
                output.WriteLine($"  Endpoint: {Fields.Text(access, "endpoint")}");
                foreach (var (key, value) in access["details"] as JsonObject ?? [])
                {
                    output.WriteLine($"  {key}: {(value is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : value?.ToJsonString())}");
                }
                if (Fields.Text(access, "kubeconfig").Length > 0)
                {
                    output.WriteLine($"  Kubeconfig: dflare access {Fields.Text(cluster, "metadata.name")} --kubeconfig");
                }
            }
            catch (DflareApiException ex) when (ex.Status is 403 or 409)
            {
                output.WriteLine($"Access: {ex.Problem.Detail ?? ex.Code}");
            }
        }
        if (Fields.Text(cluster, "status.operation") is { Length: > 0 } operation)
        {
            try
            {
                var view = OperationView.From(await session.Client.GetAsync(Paths.Operation(session, Fields.Text(cluster, "metadata.tenant"), operation), cancellationToken));
                output.WriteLine($"Last operation: {view.Workflow} {view.Id}, {view.Phase}");
                Steps(output, view, DateTimeOffset.UtcNow, heading: false);
            }
            catch (DflareApiException ex) when (ex.Status is 403 or 404)
            {
                output.WriteLine($"Last operation: {operation}");
            }
        }
    }

    private static void Steps(TextWriter output, OperationView view, DateTimeOffset now, bool heading = true)
    {
        if (heading)
        {
            Field(output, "Workflow", view.Workflow);
            Field(output, "Target", view.Target ?? "");
            Field(output, "Phase", view.Phase + (view.LastError is null ? "" : $": {view.LastError}"));
            output.WriteLine("Steps:");
        }
        TableWriter.Write(Indented(output), ["STEP", "STATE", "ATTEMPTS", "TOOK", "NOTE"], view.Steps.Select(s => (IReadOnlyList<string>)
            [s.Name, s.State, s.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
             s.StartedAt is { } a ? Fields.Duration((s.FinishedAt ?? now) - a) : "", s.WaitingFor ?? s.LastError ?? ""]));
    }

    private static async Task HistoryAsync(TextWriter output, Session session, string path, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var history = await session.Client.GetAsync($"{path}/history", cancellationToken);
        var transitions = (history["transitions"] as JsonArray ?? []).OfType<JsonObject>().Take(15).ToList();
        output.WriteLine("History (newest first):");
        TableWriter.Write(Indented(output), ["WHEN", "FROM", "TO", "REASON"], transitions.Select(t => (IReadOnlyList<string>)
            [Fields.Age(Fields.Time(t, "at"), now) + " ago", Fields.Text(t, "from"), Fields.Text(t, "to"), Fields.Text(t, "reason")]));
    }

    private static void Field(TextWriter output, string name, string value) => output.WriteLine($"{name + ":",-10} {value}");

    private static void Section(TextWriter output, string name, JsonNode? node)
    {
        if (node is null)
        {
            return;
        }
        output.WriteLine($"{name}:");
        foreach (var line in YamlText.From(node).TrimEnd().Split('\n'))
        {
            output.WriteLine("  " + line);
        }
    }

    private static IndentingWriter Indented(TextWriter output) => new(output);
}

/// <summary>Writes lines two spaces in.</summary>
internal sealed class IndentingWriter(TextWriter inner) : TextWriter
{
    public override System.Text.Encoding Encoding => inner.Encoding;

    public override void WriteLine(string? value) => inner.WriteLine("  " + value);

    public override void Write(char value) => inner.Write(value);
}
