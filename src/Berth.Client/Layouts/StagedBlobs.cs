using Berth.Client.Registry;
using Berth.Oci;

namespace Berth.Client.Layouts;

/// <summary>Blobs a local source made up (compressed layers, configs, manifests), served from memory or a temp file.</summary>
internal sealed class StagedBlobs : IDisposable
{
    private readonly Dictionary<Digest, (byte[]? Bytes, string? File, long Offset, Func<long, Stream>? Open)> _blobs = [];

    public StagedBlobs(string prefix)
    {
        Directory = Path.Combine(Path.GetTempPath(), $"{prefix}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..(prefix.Length + 20)]);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string NewFile() => Path.Combine(Directory, Guid.NewGuid().ToString("N"));

    public void Add(Digest digest, byte[] bytes)
    {
        lock (_blobs)
        {
            _blobs[digest] = (bytes, null, 0, null);
        }
    }

    public void AddFile(Digest digest, string file)
    {
        lock (_blobs)
        {
            _blobs[digest] = (null, file, 0, null);
        }
    }

    public void AddStream(Digest digest, Func<long, Stream> open)
    {
        lock (_blobs)
        {
            _blobs[digest] = (null, null, 0, open);
        }
    }

    public Stream Open(Digest digest, long offset, string owner)
    {
        (byte[]? Bytes, string? File, long Offset, Func<long, Stream>? Open) blob;
        lock (_blobs)
        {
            if (!_blobs.TryGetValue(digest, out blob))
            {
                throw new RegistryException(RegistryErrorKind.NotFound, $"{owner} has no blob {digest}");
            }
        }

        if (blob.Bytes is { } bytes)
        {
            return new MemoryStream(bytes, (int)Math.Min(offset, bytes.Length), bytes.Length - (int)Math.Min(offset, bytes.Length), writable: false);
        }

        return blob.File is { } file ? Content.BlobFiles.OpenRead(file, offset) : blob.Open!(offset);
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
