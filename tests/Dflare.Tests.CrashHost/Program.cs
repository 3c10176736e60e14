using Dflare.Core.Workflows;
using Dflare.Server.Hosting;
using Dflare.Tests.CrashHost;
using Microsoft.Extensions.Hosting;

// The real server, with the crash-test workflow registered; the test kills this process with SIGKILL at random points.
var effects = Environment.GetEnvironmentVariable(CrashWorkflow.EffectsVariable)
    ?? throw new InvalidOperationException($"{CrashWorkflow.EffectsVariable} must name the effects database.");
await using var server = await DflareServer.StartAsync(args, configureServices: services => services.AddWorkflow(CrashWorkflow.Create(effects)));
Console.WriteLine($"crash-host ready {Environment.ProcessId}");
await server.App.WaitForShutdownAsync();
