using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Berth.Oci;

namespace Berth.Benchmarks;

/// <summary><see cref="ManifestParser.Parse"/>: every manifest PUT is parsed and validated once.</summary>
[MemoryDiagnoser]
public class ManifestParserBenchmarks
{
    private byte[] _content = [];
    private string _mediaType = "";

    [Params("image, 1 layer", "image, 100 layers", "index, 3 platforms")]
    public string Document { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        (_mediaType, var json) = Document switch
        {
            "image, 1 layer" => (MediaTypes.OciManifest, Image(1)),
            "image, 100 layers" => (MediaTypes.OciManifest, Image(100)),
            _ => (MediaTypes.OciIndex, Index(3)),
        };
        _content = Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    [Benchmark]
    public bool Parse() => ManifestParser.Parse(_content, _mediaType).IsSuccess;

    private static JsonObject Descriptor(string mediaType, int seed, long size) => new()
    {
        ["mediaType"] = mediaType,
        ["digest"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(seed))),
        ["size"] = size,
    };

    private static JsonObject Image(int layers)
    {
        var array = new JsonArray();
        for (var i = 0; i < layers; i++)
        {
            array.Add(Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", i, 65536 + i));
        }

        return new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", -1, 1234),
            ["layers"] = array,
            ["annotations"] = new JsonObject { ["org.opencontainers.image.created"] = "2026-11-28T00:00:00Z" },
        };
    }

    private static JsonObject Index(int platforms)
    {
        var array = new JsonArray();
        string[] architectures = ["amd64", "arm64", "s390x", "ppc64le"];
        for (var i = 0; i < platforms; i++)
        {
            var entry = Descriptor(MediaTypes.OciManifest, 1000 + i, 1500);
            entry["platform"] = new JsonObject { ["architecture"] = architectures[i % architectures.Length], ["os"] = "linux" };
            array.Add(entry);
        }

        return new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = MediaTypes.OciIndex, ["manifests"] = array };
    }
}
