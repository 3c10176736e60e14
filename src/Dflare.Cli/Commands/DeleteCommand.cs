using System.CommandLine;
using Dflare.Cli.Config;
using Dflare.Cli.Resources;
using Dflare.Client.Api;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare delete KIND NAME</c> or <c>dflare delete -f FILE</c>. A cluster's delete is an operation (drain, tear
/// down, wipe and give back every node): <c>--wait</c> follows it. <c>--force</c> deletes a volume a cluster still mounts.
/// </summary>
public static class DeleteCommand
{
    public static Command Build(CliConsole console)
    {
        var kind = new Argument<string?>("kind") { Description = "The kind of object.", Arity = ArgumentArity.ZeroOrOne };
        var name = new Argument<string?>("name") { Description = "Its name.", Arity = ArgumentArity.ZeroOrOne };
        var files = new Option<string[]>("--filename", "-f") { Description = "Delete what a spec file describes." };
        var force = new Option<bool>("--force") { Description = "Delete a volume even while clusters mount it (they lose the mount)." };
        var command = new Command("delete", "Delete an object (or the objects of a spec file).") { kind, name, files, force, WaitFlags.Wait, WaitFlags.Timeout };
        command.SetAction((parse, ct) => Guarded.RunAsync(console, async () =>
        {
            var timeout = WaitFlags.Parse(parse.GetValue(WaitFlags.Timeout)!);
            var targets = new List<(ResourceType Type, string Name, string? Tenant)>();
            var session = Session.Open(console, GlobalFlags.From(parse));
            var tenantFlag = parse.GetValue(GlobalFlags.Tenant);
            if (parse.GetValue(files) is { Length: > 0 } specFiles)
            {
                targets.AddRange(SpecSource.ReadAll(console, specFiles).Select(s => (s.Type, s.Document.Name!, s.TenantIn(session, tenantFlag))));
            }
            else if (parse.GetValue(kind) is { } word && parse.GetValue(name) is { } one)
            {
                var type = ResourceTypes.Resolve(word);
                targets.Add((type, one, type.Scope == ResourceScope.Tenant ? session.Tenant(tenantFlag) : null));
            }
            else
            {
                throw new CliException(ExitCodes.Usage, "Say what to delete: dflare delete KIND NAME, or dflare delete -f FILE.");
            }
            foreach (var (type, target, tenant) in targets)
            {
                var path = type.ItemPath(tenant, target) + (parse.GetValue(force) ? "?force=true" : "");
                var answer = await session.Client.DeleteAsync(path, ct);
                var subject = $"{type.Kind.ToLowerInvariant()}/{target}";
                var operation = WaitFlags.OperationOf(answer);
                await console.Out.WriteLineAsync(operation is null ? $"{subject} deleted" : $"{subject} deleting (operation {operation})");
                if (parse.GetValue(WaitFlags.Wait) && operation is not null)
                {
                    var code = await WaitFlags.FollowAsync(console, session, tenant, operation, subject, timeout, ct);
                    if (code != ExitCodes.Ok)
                    {
                        return code;
                    }
                    await console.Out.WriteLineAsync(await GoneAsync(session.Client, type.ItemPath(tenant, target), ct) ? $"{subject} deleted" : $"{subject} still exists");
                }
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<bool> GoneAsync(DflareClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            await client.GetAsync(path, cancellationToken);
            return false;
        }
        catch (DflareApiException ex) when (ex.Status == 404)
        {
            return true;
        }
    }
}
