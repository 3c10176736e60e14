using Dflare.Core.Resources;
using Dflare.Persistence.Store;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Dflare.Server.Api.Resources;

/// <summary>
/// Optimistic concurrency: the ETag names one version of one object (its uid and resource version, so a deleted and
/// re-created object never matches an old tag). If-Match, and metadata.resourceVersion / metadata.uid in a body, are
/// preconditions; a mismatch answers 412 and changes nothing.
/// </summary>
public static class Preconditions
{
    public static string ETagOf(IVersionedRow row) => $"\"{row.Id:N}-{row.ResourceVersion}\"";

    public static IResult? Check(HttpRequest request, IVersionedRow row, ObjectMeta? bodyMetadata = null)
    {
        var current = ETagOf(row);
        var ifMatch = request.Headers.IfMatch;
        if (ifMatch.Count > 0)
        {
            if (!EntityTagHeaderValue.TryParseList(ifMatch, out var tags) || tags.Count == 0)
            {
                return Problem.Of(StatusCodes.Status400BadRequest, ProblemCodes.InvalidPrecondition, "If-Match is not valid.",
                    $"If-Match must be '*' or quoted entity tags such as {current}; got '{ifMatch}'.");
            }
            var matches = tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || (!t.IsWeak && t.Tag.Value == current));
            if (!matches)
            {
                return Problem.PreconditionFailed($"If-Match {ifMatch} does not match the current ETag {current}. Read the object again and retry.");
            }
        }
        if (bodyMetadata?.Uid is { } uid && !string.Equals(uid, row.Id.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            return Problem.PreconditionFailed($"metadata.uid {uid} is not the uid of the current object ({row.Id}); it was deleted and created again.");
        }
        if (bodyMetadata?.ResourceVersion is { } version && version != Envelope.Version(row.ResourceVersion))
        {
            return Problem.PreconditionFailed($"metadata.resourceVersion {version} is not the current version ({row.ResourceVersion}). Read the object again and retry.");
        }
        return null;
    }

    /// <summary>True when If-None-Match names the current version, so a GET can answer 304.</summary>
    public static bool IsNotModified(HttpRequest request, IVersionedRow row)
    {
        var ifNoneMatch = request.Headers.IfNoneMatch;
        return ifNoneMatch.Count > 0
            && EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags)
            && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Tag.Value == ETagOf(row));
    }
}
