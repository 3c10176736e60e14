using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Dflare.Server.Api.Problems;
using Dflare.Server.Hosting;
using Microsoft.AspNetCore.Http;

namespace Dflare.Server.Api.Paging;

/// <summary>
/// Cursor pagination, Kubernetes style: <c>?limit=N</c> and <c>?continue=TOKEN</c>. Lists are ordered by name, and the
/// token is the last name served, so pages stay stable while objects are added or removed elsewhere in the list.
/// </summary>
public sealed record PageRequest(int Limit, string? After)
{
    public const string LimitParameter = "limit";
    public const string ContinueParameter = "continue";
    private const string CursorPrefix = "n1:";

    /// <summary>Reads <c>limit</c> and <c>continue</c>; <paramref name="filters"/> names the other query parameters this
    /// list accepts, and any else is refused.</summary>
    public static (PageRequest? Page, IResult? Problem) Parse(HttpRequest request, ApiOptions options, IReadOnlyCollection<string>? filters = null)
    {
        filters ??= [];
        var unknown = request.Query.Keys.FirstOrDefault(k => k is not LimitParameter and not ContinueParameter && !filters.Contains(k));
        if (unknown is not null)
        {
            var accepted = string.Join(", ", new[] { LimitParameter, ContinueParameter }.Concat(filters).Select(p => $"'{p}'"));
            return (null, Problem.BadQuery(ProblemCodes.InvalidQuery, unknown, $"Unknown query parameter '{unknown}'; this list takes {accepted}."));
        }
        var limit = options.DefaultPageSize;
        if (request.Query.TryGetValue(LimitParameter, out var limitText))
        {
            if (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1)
            {
                return (null, Problem.BadQuery(ProblemCodes.InvalidQuery, LimitParameter,
                    $"'{LimitParameter}' must be a whole number from 1 to {options.MaxPageSize}; got '{limitText}'."));
            }
            if (limit > options.MaxPageSize)
            {
                return (null, Problem.BadQuery(ProblemCodes.PageSizeTooLarge, LimitParameter,
                    $"'{LimitParameter}' may be at most {options.MaxPageSize}; got {limit}."));
            }
        }
        string? after = null;
        if (request.Query.TryGetValue(ContinueParameter, out var token))
        {
            after = Decode(token.ToString());
            if (after is null)
            {
                return (null, Problem.BadQuery(ProblemCodes.InvalidCursor, ContinueParameter,
                    $"'{ContinueParameter}' is not a token this server issued; start again from the first page."));
            }
        }
        return (new PageRequest(limit, after), null);
    }

    public static string Encode(string lastName) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(CursorPrefix + lastName));

    private static string? Decode(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            return text.StartsWith(CursorPrefix, StringComparison.Ordinal) && text.Length > CursorPrefix.Length
                ? text[CursorPrefix.Length..]
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
