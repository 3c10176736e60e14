using Dflare.Client.Api;

namespace Dflare.Cli;

/// <summary>What <c>dflare</c>'s exit status means; scripts branch on these (docs/cli.md lists them).</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Anything else went wrong: the server failed, an operation ended Failed or Cancelled, the network.</summary>
    public const int Error = 1;

    /// <summary>The command line or a spec is wrong: an unknown flag, an unreadable file, a field the server refused (400, 413, 415, 422).</summary>
    public const int Usage = 2;

    /// <summary>The object, its tenant, or the operation does not exist (404).</summary>
    public const int NotFound = 3;

    /// <summary>It exists already, changed under you, or is busy (409, 412).</summary>
    public const int Conflict = 4;

    /// <summary><c>--wait</c> or <c>--timeout</c> ran out before the operation ended (it goes on).</summary>
    public const int Timeout = 5;

    /// <summary>Not signed in, the sign-in expired, or the caller lacks the permission (401, 403).</summary>
    public const int Unauthorized = 6;

    public static int For(DflareApiException ex) => ex.Status switch
    {
        400 or 413 or 415 or 422 => Usage,
        401 or 403 => Unauthorized,
        404 => NotFound,
        409 or 412 => Conflict,
        _ => Error,
    };
}
