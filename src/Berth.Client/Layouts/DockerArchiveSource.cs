using System.Text.Json.Nodes;
using Berth.Client.Content;
using Berth.Client.Registry;
using Berth.Client.Transfer;
using Berth.Oci;

namespace Berth.Client.Layouts;

/// <summary>
/// An image in a <c>docker save</c> / <c>podman save</c> tarball (<c>docker-archive:FILE[:NAME:TAG]</c>), read in place.
/// Its layers are plain tars: they are gzip-compressed (once, into a temp directory) so the registry stores what
/// docker push would, and a Docker schema 2 manifest is built over them; layers already compressed are sent as they are.
/// </summary>
public sealed class DockerArchiveSource : IImageSource
{
    private readonly TarFiles _files;
    private readonly string? _reference;
    private readonly StagedBlobs _staged = new("berth-docker-archive");
    private ManifestBlob? _manifest;

    private DockerArchiveSource(string file, string? reference)
    {
        _files = new TarFiles(file);
        _reference = reference;
        Name = $"docker-archive:{file}{(reference is null ? "" : ":" + reference)}";
        if (!_files.Exists("manifest.json"))
        {
            _files.Dispose();
            throw new InvalidDataException($"{file} is not a docker-archive (no manifest.json inside)");
        }
    }

    public string Name { get; }

    public RepositoryLocation? Repository => null;

    public static DockerArchiveSource Open(string file, string? reference) => new(file, reference);

    public async Task<ManifestBlob> GetManifestAsync(Digest? digest, CancellationToken cancellationToken)
    {
        _manifest ??= await BuildAsync(cancellationToken);
        return digest is null || digest == _manifest.Digest
            ? _manifest
            : throw new RegistryException(RegistryErrorKind.NotFound, $"{Name} has no manifest {digest}");
    }

    public Task<Stream> OpenBlobAsync(Descriptor blob, long offset, CancellationToken cancellationToken) =>
        Task.FromResult(_staged.Open(blob.Digest, offset, Name));

    public ValueTask DisposeAsync()
    {
        _staged.Dispose();
        _files.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<ManifestBlob> BuildAsync(CancellationToken cancellationToken)
    {
        var entry = SelectEntry();
        var configPath = (string?)entry["Config"] ?? throw new InvalidDataException($"{Name}: manifest.json entry without Config");
        var config = _files.ReadAll(configPath);
        var configDigest = Digest.Sha256(config);
        _staged.Add(configDigest, config);

        var layerPaths = (entry["Layers"] as JsonArray ?? []).Select(l => (string?)l ?? "").ToList();
        var layers = new Descriptor[layerPaths.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, layerPaths.Count), cancellationToken, async (i, ct) =>
        {
            layers[i] = await StageLayerAsync(layerPaths[i], ct);
        });

        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.DockerManifest,
            ["config"] = Json(MediaTypes.DockerConfig, configDigest, config.LongLength),
            ["layers"] = new JsonArray([.. layers.Select(l => (JsonNode)Json(l.MediaType, l.Digest, l.Size))]),
        };
        return ManifestBlob.From(System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString(Content.ClientJson.Compact)), MediaTypes.DockerManifest);
    }

    private async Task<Descriptor> StageLayerAsync(string path, CancellationToken cancellationToken)
    {
        var head = new byte[2];
        await using (var probe = _files.Open(path, 0))
        {
            await probe.ReadAtLeastAsync(head, 2, throwOnEndOfStream: false, cancellationToken);
        }

        if (Gzip.IsGzip(head))
        {
            await using var stream = _files.Open(path, 0);
            await using var sink = new HashingWriteStream(Stream.Null);
            await stream.CopyToAsync(sink, BlobFiles.BufferSize, cancellationToken);
            var digest = sink.Digest();
            _staged.AddStream(digest, offset => _files.Open(path, offset));
            return new Descriptor(MediaTypes.DockerLayer, digest, sink.BytesWritten);
        }

        var target = _staged.NewFile();
        await using (var tar = _files.Open(path, 0))
        {
            var (_, compressed, size) = await Gzip.CompressAsync(tar, target, cancellationToken);
            _staged.AddFile(compressed, target);
            return new Descriptor(MediaTypes.DockerLayer, compressed, size);
        }
    }

    private JsonObject SelectEntry()
    {
        var entries = (JsonNode.Parse(_files.ReadAll("manifest.json")) as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (_reference is null)
        {
            return entries.Count == 1 ? entries[0]
                : throw new InvalidOperationException($"{Name} holds {entries.Count} images; name one: " +
                    string.Join(", ", entries.SelectMany(e => (e["RepoTags"] as JsonArray ?? []).Select(t => (string?)t))));
        }

        var wanted = _reference.Contains(':', StringComparison.Ordinal) ? _reference : _reference + ":latest";
        return entries.FirstOrDefault(e => (e["RepoTags"] as JsonArray ?? []).Any(t => (string?)t == wanted || (string?)t == _reference))
            ?? throw new InvalidOperationException($"{Name} has no image named {wanted}");
    }

    private static JsonObject Json(string mediaType, Digest digest, long size) => new()
    {
        ["mediaType"] = mediaType,
        ["digest"] = digest.ToString(),
        ["size"] = size,
    };
}
