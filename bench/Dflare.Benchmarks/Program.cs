using BenchmarkDotNet.Running;
using Dflare.Benchmarks.Metering;
using Dflare.Benchmarks.Provisioning;

// `fleet N [postgres] [in-process]` provisions a simulated fleet end to end; `ingest N [postgres] [writers=W]` ingests
// usage events; `placement [store] [nodes=N] [decisions=D] [postgres]` times gang placement (the engine, or the store-backed pass); anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "fleet")
{
    return await FleetProvisioningBenchmark.RunAsync(args);
}
if (args.Length > 0 && args[0] == "ingest")
{
    return await IngestionBenchmark.RunAsync(args);
}
if (args.Length > 1 && args[0] == "placement" && args[1] == "store")
{
    return await Dflare.Benchmarks.Placement.StorePlacementBenchmark.RunAsync(args);
}
if (args.Length > 0 && args[0] == "placement")
{
    return await Dflare.Benchmarks.Placement.PlacementBenchmark.RunAsync(args);
}
BenchmarkSwitcher.FromAssembly(typeof(FleetProvisioningBenchmark).Assembly).Run(args);
return 0;
