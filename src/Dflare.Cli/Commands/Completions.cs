using System.CommandLine.Completions;
using System.CommandLine;
using Dflare.Cli.Config;
using Dflare.Cli.Resources;
using Dflare.Client.Api;

namespace Dflare.Cli.Commands;

/// <summary>Tab completion: kinds from the catalog, object names from the server (asked with a short deadline, so a
/// slow or absent server only means no suggestions).</summary>
public static class Completions
{
    public static void ForKinds(Argument<string> argument, bool withReports)
    {
        argument.HelpName = "kind"; // not the whole list of kinds in every usage line
        argument.CompletionSources.Add(context =>
            ResourceTypes.All.Select(t => t.Plural).Concat(withReports ? ResourceTypes.Reports : [])
                .Where(n => n.StartsWith(context.WordToComplete, StringComparison.OrdinalIgnoreCase))
                .Select(n => new CompletionItem(n)));
    }

    /// <summary>Completes names from the server, and refuses a name that is really a misspelt flag.</summary>
    public static void ForNames(Argument<string?> argument, Argument<string> kind, CliConsole console)
    {
        argument.HelpName = "name";
        argument.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.Tokens[0].Value is var value && value.StartsWith('-'))
            {
                result.AddError($"Unrecognized command or argument '{value}'.");
            }
        });
        argument.CompletionSources.Add(context =>
        {
            if (context.ParseResult.GetValue(kind) is not { } word || ResourceTypes.Find(word) is not { } type)
            {
                return [];
            }
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                var session = Session.Open(console, GlobalFlags.From(context.ParseResult));
                var path = type.Collection(type.Scope == ResourceScope.Tenant ? session.Tenant(null) : null);
                var names = new List<CompletionItem>();
                var items = session.Client.ListAsync(path, null, timeout.Token).GetAsyncEnumerator(timeout.Token);
                while (items.MoveNextAsync().AsTask().GetAwaiter().GetResult() && names.Count < 500)
                {
                    if (Fields.Text(items.Current, "metadata.name") is { Length: > 0 } name && name.StartsWith(context.WordToComplete, StringComparison.Ordinal))
                    {
                        names.Add(new CompletionItem(name));
                    }
                }
                return names;
            }
            catch (Exception ex) when (ex is CliException or HttpRequestException or OperationCanceledException or Client.Api.DflareApiException)
            {
                return [];
            }
        });
    }
}
