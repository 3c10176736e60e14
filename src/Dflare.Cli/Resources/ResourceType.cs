using System.Text.Json.Nodes;

namespace Dflare.Cli.Resources;

/// <summary>Whether a kind lives on the platform (<c>/api/v1/nodes</c>) or in a tenant (<c>/api/v1/tenants/{t}/clusters</c>).</summary>
public enum ResourceScope
{
    Platform,
    Tenant,
}

/// <summary>A table column: its header and how a cell is read from an object; wide columns show with <c>-o wide</c> only.</summary>
public sealed record Column(string Header, Func<JsonObject, DateTimeOffset, string> Cell, bool Wide = false);

/// <summary>A kind the CLI knows: the names people type for it, where it lives in the API, and its table.</summary>
public sealed record ResourceType(string Plural, string Kind, ResourceScope Scope, IReadOnlyList<string> Aliases, IReadOnlyList<Column> Columns)
{
    /// <summary>True when deleting or creating one answers an operation to follow (the object's <c>status.operation</c>).</summary>
    public bool HasOperations { get; init; }

    public string Collection(string? tenant) => Scope == ResourceScope.Tenant ? $"tenants/{tenant}/{Plural}" : Plural;

    public string ItemPath(string? tenant, string name) => $"{Collection(tenant)}/{Uri.EscapeDataString(name)}";

    public bool Matches(string word) => string.Equals(word, Plural, StringComparison.OrdinalIgnoreCase)
        || Aliases.Contains(word, StringComparer.OrdinalIgnoreCase) || string.Equals(word, Kind, StringComparison.OrdinalIgnoreCase);
}
