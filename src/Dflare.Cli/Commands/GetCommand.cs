using System.CommandLine;
using System.Text.Json.Nodes;
using Dflare.Cli.Config;
using Dflare.Cli.Output;
using Dflare.Cli.Resources;
using Dflare.Client.Api;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare get KIND [NAME]</c>: a table (or JSON, YAML, names) of objects, every page of them; <c>--watch</c> keeps
/// printing rows as they change until interrupted. <c>get usage</c> and <c>get invoices</c> read the tenant's reports.
/// </summary>
public static class GetCommand
{
    public static readonly Option<string?> Output = new("--output", "-o") { Description = "table (default), wide, json, yaml or name." };

    public static Command Build(CliConsole console)
    {
        var kind = new Argument<string>("kind") { Description = "nodes, clusters, volumes, vpcs, subnets, operations, tenants, projects, usage, invoices, …" };
        var name = new Argument<string?>("name") { Description = "One object (a period yyyy-MM for invoices).", Arity = ArgumentArity.ZeroOrOne };
        var selector = new Option<string?>("--selector", "-l") { Description = "Only objects whose labels match, e.g. team=llm,tier!=free." };
        var watch = new Option<bool>("--watch", "-w") { Description = "After the list, print each object again whenever it changes (Ctrl+C stops)." };
        var by = new Option<string?>("--by") { Description = "usage: group by any of project, user, cluster, dimension, day, hour (comma-separated; default project)." };
        var from = new Option<string?>("--from") { Description = "usage: from this time or date (default: the start of this month, UTC)." };
        var to = new Option<string?>("--to") { Description = "usage: up to this time or date (default: now)." };
        Completions.ForKinds(kind, withReports: true);
        Completions.ForNames(name, kind, console);
        var command = new Command("get", "List objects of a kind, or show one.") { kind, name, Output, selector, watch, by, from, to };
        command.SetAction((parse, ct) => Guarded.RunAsync(console, async () =>
        {
            var format = Printer.Parse(parse.GetValue(Output));
            var word = parse.GetValue(kind)!;
            var session = Session.Open(console, GlobalFlags.From(parse));
            switch (word.ToLowerInvariant())
            {
                case "usage":
                    return await Reports.UsageAsync(console, session, GlobalFlags.From(parse).Tenant, format, parse.GetValue(by), parse.GetValue(from), parse.GetValue(to), ct);
                case "invoices" or "invoice":
                    return await Reports.InvoicesAsync(console, session, GlobalFlags.From(parse).Tenant, format, parse.GetValue(name), ct);
            }
            var type = ResourceTypes.Resolve(word);
            var path = Paths.Collection(session, type, GlobalFlags.From(parse).Tenant);
            var one = parse.GetValue(name);
            List<JsonObject> items;
            if (one is not null)
            {
                items = [await session.Client.GetAsync($"{path}/{Uri.EscapeDataString(one)}", ct)];
            }
            else
            {
                items = [];
                await foreach (var item in session.Client.ListAsync(path, new Dictionary<string, string?> { ["labelSelector"] = parse.GetValue(selector) is { Length: > 0 } s ? s : null }, ct))
                {
                    items.Add(item);
                }
            }
            var now = console.Time.GetUtcNow();
            var widths = Print(console.Out, type, format, items, one, now);
            if (parse.GetValue(watch))
            {
                try
                {
                    await Watcher.WatchAsync(console, session, type, path, one, parse.GetValue(selector), format, widths, items, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // Ctrl+C is how a watch ends.
                }
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Prints objects; answers the table's column widths (for <c>--watch</c> to keep rows aligned).</summary>
    public static int[] Print(TextWriter output, ResourceType type, OutputFormat format, IReadOnlyList<JsonObject> items, string? one, DateTimeOffset now)
    {
        switch (format)
        {
            case OutputFormat.Json or OutputFormat.Yaml:
                Printer.Document(output, format, one is not null ? items[0].DeepClone() : new JsonObject
                {
                    ["apiVersion"] = "dflare.ai/v1", ["kind"] = type.Kind + "List", ["items"] = new JsonArray([.. items.Select(i => i.DeepClone())]),
                });
                return [];
            case OutputFormat.Name:
                foreach (var item in items)
                {
                    output.WriteLine($"{type.Kind.ToLowerInvariant()}/{Fields.Text(item, "metadata.name")}");
                }
                return [];
            default:
                if (items.Count == 0)
                {
                    output.WriteLine($"No {type.Plural} found.");
                    return [];
                }
                var columns = Columns(type, format);
                var rows = items.Select(i => Row(columns, i, now)).ToList();
                var widths = columns.Select((c, x) => Math.Max(c.Header.Length, rows.Max(r => r[x].Length))).ToArray();
                output.WriteLine(TableWriter.Line([.. columns.Select(c => c.Header)], widths));
                foreach (var row in rows)
                {
                    output.WriteLine(TableWriter.Line(row, widths));
                }
                return widths;
        }
    }

    public static IReadOnlyList<Column> Columns(ResourceType type, OutputFormat format) => [.. type.Columns.Where(c => format == OutputFormat.Wide || !c.Wide)];

    public static IReadOnlyList<string> Row(IReadOnlyList<Column> columns, JsonObject item, DateTimeOffset now) => [.. columns.Select(c => c.Cell(item, now))];
}
