using System.Formats.Tar;

namespace Berth.Client.Layouts;

/// <summary>
/// The regular files of an uncompressed tarball, indexed once by name → (offset, length), then read in place and in
/// parallel: an OCI archive or a <c>docker save</c> file is never unpacked to disk.
/// </summary>
internal sealed class TarFiles : ILayoutFiles
{
    private readonly string _path;
    private readonly Dictionary<string, (long Offset, long Length)> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);

    public TarFiles(string path)
    {
        _path = path;
        using var stream = File.OpenRead(path);
        if (stream.Length >= 2 && stream.ReadByte() == 0x1f && stream.ReadByte() == 0x8b)
        {
            throw new InvalidDataException($"{path} is gzip-compressed; decompress it first (gunzip) so its layers can be read in place");
        }

        stream.Position = 0;
        using var reader = new TarReader(stream);
        while (reader.GetNextEntry(copyData: false) is { } entry)
        {
            var name = Normalize(entry.Name);
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile)
            {
                _entries[name] = (entry.DataOffset, entry.Length);
            }
            else if (entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink)
            {
                // docker save links identical layers to each other.
                var target = entry.EntryType == TarEntryType.SymbolicLink
                    ? Normalize(Path.Combine(Path.GetDirectoryName(name) ?? "", entry.LinkName))
                    : Normalize(entry.LinkName);
                _links[name] = target;
            }
        }
    }

    public string Name => _path;

    public bool Exists(string path) => Find(path) is not null;

    public long Length(string path) => Entry(path).Length;

    public Stream Open(string path, long offset)
    {
        var (start, length) = Entry(path);
        var stream = Content.BlobFiles.OpenRead(_path, start + Math.Min(offset, length));
        return new BoundedStream(stream, length - Math.Min(offset, length));
    }

    public byte[] ReadAll(string path)
    {
        using var stream = Open(path, 0);
        var bytes = new byte[Length(path)];
        stream.ReadExactly(bytes);
        return bytes;
    }

    public void Dispose()
    {
    }

    private (long Offset, long Length) Entry(string path) =>
        Find(path) ?? throw new FileNotFoundException($"{_path} has no file '{path}'");

    private (long Offset, long Length)? Find(string path)
    {
        var name = Normalize(path);
        for (var hops = 0; hops < 8; hops++)
        {
            if (_entries.TryGetValue(name, out var entry))
            {
                return entry;
            }

            if (!_links.TryGetValue(name, out var target))
            {
                return null;
            }

            name = target;
        }

        return null;
    }

    private static string Normalize(string name)
    {
        var parts = new List<string>();
        foreach (var part in name.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }

                continue;
            }

            parts.Add(part);
        }

        return string.Join('/', parts);
    }

    /// <summary>A window of <paramref name="length"/> bytes of a file stream.</summary>
    private sealed class BoundedStream(Stream inner, long size) : Stream
    {
        private readonly long _size = size;
        private long _left = size;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => _size;

        public override long Position { get => _size - _left; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_left <= 0)
            {
                return 0;
            }

            var read = inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            _left -= read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left <= 0)
            {
                return 0;
            }

            var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken);
            _left -= read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
