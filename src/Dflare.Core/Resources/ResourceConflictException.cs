namespace Dflare.Core.Resources;

/// <summary>A write the store's current state refuses (a pool with nothing left): the API answers 409 with
/// <see cref="Code"/>, and nothing of the write is kept.</summary>
public sealed class ResourceConflictException(string code, string title, string detail) : DflareException(detail, isTransient: false)
{
    public string Code { get; } = code;

    public string Title { get; } = title;
}
