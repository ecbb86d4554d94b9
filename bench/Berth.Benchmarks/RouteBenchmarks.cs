using BenchmarkDotNet.Attributes;
using Berth.Oci;

namespace Berth.Benchmarks;

/// <summary><see cref="RegistryRoute.Parse"/>: runs once per /v2 request, before anything else.</summary>
[MemoryDiagnoser]
public class RouteBenchmarks
{
    [Params(
        "library/ubuntu/manifests/latest",
        "team/app/blobs/sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "org/team/sub/app/blobs/uploads/0b5c8f3e-2a77-4a6d-9d43-0f8a1c2b3d4e",
        "_catalog")]
    public string Path { get; set; } = "";

    [Benchmark]
    public bool Parse() => RegistryRoute.Parse(Path).IsSuccess;
}
