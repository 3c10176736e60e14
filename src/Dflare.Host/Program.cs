using Dflare.Server.Hosting;

return await ServerCommandLine.RunAsync(args);
