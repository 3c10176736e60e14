using System.Text.Json.Nodes;
using Dflare.Cli.Config;
using Dflare.Cli.Output;
using Dflare.Cli.Resources;
using Dflare.Client.Api;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>get --watch</c>: polls the list (or the one object) every second and prints each object again when its
/// <c>resourceVersion</c> changes, a new one appears, or one goes (marked deleted). JSON and YAML print whole objects,
/// one document each. Stops at Ctrl+C, or when the one object watched is deleted.
/// </summary>
public static class Watcher
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public static async Task WatchAsync(
        CliConsole console, Session session, ResourceType type, string path, string? one, string? selector, OutputFormat format, int[] widths,
        IReadOnlyList<JsonObject> initial, CancellationToken cancellationToken)
    {
        var seen = initial.ToDictionary(Key, Version, StringComparer.Ordinal);
        var columns = GetCommand.Columns(type, format);
        while (true)
        {
            await Task.Delay(Interval, console.Time, cancellationToken);
            var current = new List<JsonObject>();
            try
            {
                if (one is not null)
                {
                    current.Add(await session.Client.GetAsync($"{path}/{Uri.EscapeDataString(one)}", cancellationToken));
                }
                else
                {
                    await foreach (var item in session.Client.ListAsync(path, new Dictionary<string, string?> { ["labelSelector"] = selector is { Length: > 0 } ? selector : null }, cancellationToken))
                    {
                        current.Add(item);
                    }
                }
            }
            catch (DflareApiException ex) when (ex.Status == 404 && one is not null)
            {
                await console.Out.WriteLineAsync($"{type.Kind.ToLowerInvariant()}/{one} deleted");
                return;
            }
            var now = console.Time.GetUtcNow();
            foreach (var item in current.Where(i => !seen.TryGetValue(Key(i), out var v) || v != Version(i)))
            {
                Print(console.Out, type, format, columns, widths, item, now);
                seen[Key(item)] = Version(item);
            }
            foreach (var gone in seen.Keys.Except(current.Select(Key)).ToList())
            {
                await console.Out.WriteLineAsync($"{type.Kind.ToLowerInvariant()}/{gone} deleted");
                seen.Remove(gone);
            }
            await console.Out.FlushAsync(cancellationToken);
        }
    }

    private static void Print(TextWriter output, ResourceType type, OutputFormat format, IReadOnlyList<Column> columns, int[] widths, JsonObject item, DateTimeOffset now)
    {
        switch (format)
        {
            case OutputFormat.Json or OutputFormat.Yaml:
                Printer.Document(output, format, item.DeepClone());
                if (format == OutputFormat.Yaml)
                {
                    output.WriteLine("---");
                }
                break;
            case OutputFormat.Name:
                output.WriteLine($"{type.Kind.ToLowerInvariant()}/{Key(item)}");
                break;
            default:
                var row = GetCommand.Row(columns, item, now);
                output.WriteLine(TableWriter.Line(row, widths.Length == row.Count ? widths : [.. row.Select(c => c.Length)]));
                break;
        }
    }

    private static string Key(JsonObject item) => Fields.Text(item, "metadata.name");

    private static string Version(JsonObject item) => Fields.Text(item, "metadata.resourceVersion") + "|" + Fields.Text(item, "status");
}
