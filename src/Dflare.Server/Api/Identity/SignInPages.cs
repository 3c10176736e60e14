using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dflare.Server.Api.Identity;

/// <summary>The realm's own pages (sign in for the portal, approve a terminal's code): one small accessible document,
/// no script, styled inline so they stand on their own without the portal.</summary>
internal static class SignInPages
{
    private const string Style = """
        body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b1f24}
        main{max-width:26rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002}
        h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.8rem 0}input{display:block;width:100%;box-sizing:border-box;
        padding:.5rem;margin-top:.25rem;font:inherit;border:1px solid #68717a;border-radius:4px}
        button{font:inherit;padding:.5rem 1rem;margin-right:.5rem;border-radius:4px;border:1px solid #0b5cad;background:#0b5cad;color:#fff;cursor:pointer}
        button.secondary{background:#fff;color:#0b5cad}:focus-visible{outline:3px solid #e8a317;outline-offset:2px}
        [role=alert]{background:#fde8e8;border-left:4px solid #b42318;padding:.5rem .75rem}
        """;

    public static ContentHttpResult Html(string title, string body, int status) => TypedResults.Content(
        $"""
        <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{System.Net.WebUtility.HtmlEncode(title)} · Dflare</title><style>{Style}</style></head>
        <body><main>{body}</main></body></html>
        """, "text/html; charset=utf-8", statusCode: status);

    public static string Alert(string? error) => error is null ? "" : $"<p role=\"alert\">{System.Net.WebUtility.HtmlEncode(error)}</p>";
}
