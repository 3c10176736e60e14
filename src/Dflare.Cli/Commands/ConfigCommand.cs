using System.CommandLine;
using Dflare.Cli.Config;
using Dflare.Cli.Output;

namespace Dflare.Cli.Commands;

/// <summary><c>dflare config</c>: contexts, as kubectl keeps them — list, show the current one, switch, edit, delete.</summary>
public static class ConfigCommand
{
    public static Command Build(CliConsole console)
    {
        var config = new Command("config", "Contexts: which server, realm and tenant commands use.");

        var useName = new Argument<string>("name") { Description = "The context to make current." };
        var use = new Command("use-context", "Make a context the current one.") { useName };
        use.SetAction((parse, _) => Edit(console, (store, file) =>
        {
            var name = parse.GetValue(useName)!;
            if (!file.Contexts.ContainsKey(name))
            {
                throw new CliException(ExitCodes.NotFound, $"There is no context '{name}'; see dflare config get-contexts.");
            }
            store.Save(file with { CurrentContext = name });
            return $"Switched to context '{name}'.";
        }));

        var list = new Command("get-contexts", "List the contexts; the current one is marked with *.");
        list.SetAction((_, _) => Guarded.RunAsync(console, () =>
        {
            var file = Store(console).Load();
            TableWriter.Write(console.Out, ["CURRENT", "NAME", "SERVER", "REALM", "TENANT"],
                file.Contexts.OrderBy(c => c.Key, StringComparer.Ordinal)
                    .Select(c => (IReadOnlyList<string>)[c.Key == file.CurrentContext ? "*" : "", c.Key, c.Value.Server, c.Value.Realm, c.Value.Tenant ?? ""]));
            return Task.FromResult(ExitCodes.Ok);
        }));

        var current = new Command("current-context", "Print the current context's name.");
        current.SetAction((_, _) => Guarded.RunAsync(console, async () =>
        {
            var name = Store(console).Load().CurrentContext ?? throw new CliException(ExitCodes.NotFound, "No context is current; run dflare login.");
            await console.Out.WriteLineAsync(name);
            return ExitCodes.Ok;
        }));

        var setName = new Argument<string>("name") { Description = "The context to create or change." };
        var realm = new Option<string?>("--realm") { Description = "The realm it signs in to." };
        var set = new Command("set-context", "Create a context or change its server, realm or tenant (--server, --realm, --tenant).") { setName, realm };
        set.SetAction((parse, _) => Edit(console, (store, file) =>
        {
            var name = parse.GetValue(setName)!;
            var existing = file.Contexts.GetValueOrDefault(name);
            var server = parse.GetValue(GlobalFlags.Server) ?? existing?.Server
                ?? throw new CliException(ExitCodes.Usage, $"A new context needs --server.");
            file.Contexts[name] = new CliContext(Session.ServerAddress(server).ToString().TrimEnd('/'),
                parse.GetValue(realm) ?? existing?.Realm ?? "platform", parse.GetValue(GlobalFlags.Tenant) ?? existing?.Tenant);
            store.Save(file);
            return existing is null ? $"Context '{name}' created." : $"Context '{name}' changed.";
        }));

        var deleteName = new Argument<string>("name") { Description = "The context to delete." };
        var delete = new Command("delete-context", "Delete a context and its saved credential.") { deleteName };
        delete.SetAction((parse, _) => Edit(console, (store, file) =>
        {
            var name = parse.GetValue(deleteName)!;
            if (!file.Contexts.Remove(name))
            {
                throw new CliException(ExitCodes.NotFound, $"There is no context '{name}'.");
            }
            store.Save(file with { CurrentContext = file.CurrentContext == name ? null : file.CurrentContext });
            store.DeleteCredential(name);
            return $"Context '{name}' deleted.";
        }));

        config.Subcommands.Add(use);
        config.Subcommands.Add(list);
        config.Subcommands.Add(current);
        config.Subcommands.Add(set);
        config.Subcommands.Add(delete);
        return config;
    }

    private static ConfigStore Store(CliConsole console) => new(ConfigStore.DefaultDirectory(console.Environment));

    private static Task<int> Edit(CliConsole console, Func<ConfigStore, CliConfigFile, string> change) => Guarded.RunAsync(console, async () =>
    {
        var store = Store(console);
        await console.Out.WriteLineAsync(change(store, store.Load()));
        return ExitCodes.Ok;
    });
}
