namespace Dflare.Core.Resources;

/// <summary>A page of a list, shaped like a Kubernetes list: <c>metadata.continue</c> fetches the next page.</summary>
public sealed record ResourceList<T>(string ApiVersion, string Kind, ListMeta Metadata, IReadOnlyList<T> Items);

/// <summary><c>continue</c> is absent on the last page.</summary>
public sealed record ListMeta(string? Continue);
