using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dflare.Cli.Output;

/// <summary><c>-o table|wide|json|yaml|name</c>.</summary>
public enum OutputFormat
{
    Table,
    Wide,
    Json,
    Yaml,
    Name,
}

public static class Printer
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static OutputFormat Parse(string? text) => text?.ToLowerInvariant() switch
    {
        null or "" or "table" => OutputFormat.Table,
        "wide" => OutputFormat.Wide,
        "json" => OutputFormat.Json,
        "yaml" => OutputFormat.Yaml,
        "name" => OutputFormat.Name,
        _ => throw new CliException(ExitCodes.Usage, $"-o {text} is not an output format; use table, wide, json, yaml or name."),
    };

    /// <summary>Writes a document as JSON or YAML.</summary>
    public static void Document(TextWriter output, OutputFormat format, JsonNode? node)
    {
        if (format == OutputFormat.Yaml)
        {
            output.Write(YamlText.From(node));
        }
        else
        {
            output.WriteLine(node?.ToJsonString(Indented) ?? "null");
        }
    }
}
