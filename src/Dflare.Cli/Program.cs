using Dflare.Cli;

// The executable only hands the process's console to the CLI; tests call CliApp.RunAsync the same way.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return await CliApp.RunAsync(args, CliConsole.FromProcess(), cancel.Token);
