using System.CommandLine;
using System.Text.Json.Nodes;
using Dflare.Cli.Config;
using Dflare.Cli.Resources;
using Dflare.Client.Api;
using Dflare.Client.Specs;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare create -f</c> (new objects only; an existing one is a conflict, exit 4) and <c>dflare apply -f</c>
/// (create, or replace the spec of what exists). A file may hold several documents separated by <c>---</c>; they are
/// sent in order and the first refusal stops the rest. A refusal names the file, the line of the field the server
/// refused, the field and the problem code.
/// </summary>
public static class ApplyCommand
{
    public static Command Build(CliConsole console, bool create)
    {
        var files = new Option<string[]>("--filename", "-f") { Description = "A YAML or JSON spec file (- for standard input); repeat for several.", Required = true };
        var command = new Command(create ? "create" : "apply", create
            ? "Create the objects a spec file describes."
            : "Create the objects a spec file describes, or bring existing ones to it.") { files, WaitFlags.Wait, WaitFlags.Timeout };
        command.SetAction((parse, ct) =>
        {
            SpecSource? current = null;
            return Guarded.RunAsync(console, async () =>
            {
                var timeout = WaitFlags.Parse(parse.GetValue(WaitFlags.Timeout)!);
                var sources = SpecSource.ReadAll(console, parse.GetValue(files)!);
                var session = Session.Open(console, GlobalFlags.From(parse));
                foreach (var source in sources)
                {
                    current = source;
                    var code = await ApplyOneAsync(console, session, source, create, parse.GetValue(GlobalFlags.Tenant), parse.GetValue(WaitFlags.Wait), timeout, ct);
                    if (code != ExitCodes.Ok)
                    {
                        return code;
                    }
                }
                return ExitCodes.Ok;
            }, ex => current?.Locate(ex.Problem));
        });
        return command;
    }

    private static async Task<int> ApplyOneAsync(CliConsole console, Session session, SpecSource source, bool create, string? tenantFlag, bool wait, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (type, body) = (source.Type, source.Body);
        var tenant = source.TenantIn(session, tenantFlag);
        var name = source.Document.Name!;
        var subject = $"{type.Kind.ToLowerInvariant()}/{name}";
        JsonObject result;
        string verb;
        JsonObject? existing = null;
        if (!create)
        {
            try
            {
                existing = await session.Client.GetAsync(type.ItemPath(tenant, name), cancellationToken);
            }
            catch (DflareApiException ex) when (ex.Status == 404 && ex.Code == "not-found" && ex.Problem.Detail?.Contains($"'{name}'", StringComparison.Ordinal) == true)
            {
                // Missing: created below. (A missing tenant also answers 404, naming the tenant; the create reports it.)
            }
        }
        if (existing is null)
        {
            result = await session.Client.CreateAsync(type.Collection(tenant), body, Guid.NewGuid().ToString(), cancellationToken);
            verb = "created";
        }
        else
        {
            result = await session.Client.ReplaceAsync(type.ItemPath(tenant, name), body, cancellationToken);
            verb = Fields.Text(result, "metadata.resourceVersion") == Fields.Text(existing, "metadata.resourceVersion") ? "unchanged" : "configured";
        }
        await console.Out.WriteLineAsync($"{subject} {verb}");
        if (!wait || verb == "unchanged")
        {
            return ExitCodes.Ok;
        }
        if (WaitFlags.OperationOf(result) is { } operation)
        {
            var code = await WaitFlags.FollowAsync(console, session, tenant, operation, subject, timeout, cancellationToken);
            var after = await session.Client.GetAsync(type.ItemPath(tenant, name), cancellationToken);
            if (Fields.Text(after, "status.phase") is { Length: > 0 } phase)
            {
                var reason = Fields.Text(after, "status.reason");
                await console.Out.WriteLineAsync($"{subject} is {phase}{(reason.Length > 0 ? $": {reason}" : "")}");
            }
            return code;
        }
        // Objects that name no operation (volumes, networks) are followed through their phase.
        return await WaitFlags.SettleAsync(console, session, type.ItemPath(tenant, name), subject, timeout, cancellationToken);
    }
}

/// <summary>One document of a spec file, with where it came from, ready to send.</summary>
public sealed record SpecSource(string File, SpecDocument Document, ResourceType Type, JsonObject Body)
{
    public static IReadOnlyList<SpecSource> ReadAll(CliConsole console, IReadOnlyList<string> files)
    {
        var sources = new List<SpecSource>();
        foreach (var file in files)
        {
            string text;
            try
            {
                text = file == "-" ? console.In.ReadToEnd() : System.IO.File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.Usage, $"{file}: {ex.Message}");
            }
            IReadOnlyList<SpecDocument> documents;
            try
            {
                documents = YamlDocuments.ReadAll(text);
            }
            catch (YamlDotNet.Core.YamlException ex)
            {
                throw new CliException(ExitCodes.Usage, $"{file}:{ex.Start.Line}: not valid YAML: {ex.Message.Split(". ")[0].TrimEnd('.')}");
            }
            foreach (var document in documents.Where(d => d.Body is not null))
            {
                if (document.Body is not JsonObject body)
                {
                    throw new CliException(ExitCodes.Usage, $"{file}:{document.Line}: a spec must be a mapping with kind, metadata and spec.");
                }
                var kind = document.Kind ?? throw new CliException(ExitCodes.Usage, $"{file}:{document.Line}: kind is required (Cluster, Volume, Vpc, Subnet, …).");
                if (document.Name is not { Length: > 0 })
                {
                    throw new CliException(ExitCodes.Usage, $"{file}:{document.LineOf("metadata")}: metadata.name is required.");
                }
                sources.Add(new SpecSource(file, document, ResourceTypes.ForKind(kind), body));
            }
        }
        return sources.Count > 0 ? sources : throw new CliException(ExitCodes.Usage, $"{string.Join(", ", files)}: no spec found.");
    }

    /// <summary>The tenant a tenant-owned object goes to: its own <c>metadata.tenant</c>, else the session's; null for platform kinds.</summary>
    public string? TenantIn(Session session, string? tenantFlag) => Type.Scope != ResourceScope.Tenant ? null
        : Fields.Text(Body, "metadata.tenant") is { Length: > 0 } own ? own : session.Tenant(tenantFlag);

    /// <summary>"file:line: " for the first field the server refused (or the object's name, for what concerns it all).</summary>
    public string Locate(ApiProblem problem) => $"{File}:{Document.LineOf(problem.Errors.Count > 0 ? problem.Errors[0].Field : "metadata.name")}: ";
}
