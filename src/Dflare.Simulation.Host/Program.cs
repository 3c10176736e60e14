using Dflare.Simulation.Standalone;

using var stop = new CancellationTokenSource();
using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
{
    c.Cancel = true;
    stop.Cancel();
});
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
return await StandaloneSimulator.RunAsync(args, Console.Out, Console.Error, stop.Token);
