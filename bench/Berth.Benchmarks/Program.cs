using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process: no second build of the solution while other builds may be running in the same tree.
// Usage: dotnet run -c Release --project bench/Berth.Benchmarks -- --filter '*'   (add --job short for a quick pass)
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault())
    .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
BenchmarkSwitcher.FromAssembly(typeof(Berth.Benchmarks.RouteBenchmarks).Assembly).Run(args, config);
