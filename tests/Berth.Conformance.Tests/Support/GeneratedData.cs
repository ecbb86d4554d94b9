using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace Berth.Conformance.Tests.Support;

/// <summary>
/// Pseudo-random bytes computed on the fly from (seed, offset): any range of a multi-GiB blob can be produced again
/// without ever holding the blob in memory. Byte <c>o</c> is byte <c>o % 8</c> of <c>mix(seed, o / 8)</c>.
/// </summary>
public sealed class GeneratedData(ulong seed, long length)
{
    public long Length => length;

    public static GeneratedData Random(long length) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8)), length);

    public void Fill(long offset, Span<byte> destination)
    {
        var word = offset >> 3;
        var skip = (int)(offset & 7);
        Span<byte> tmp = stackalloc byte[8];
        var written = 0;
        if (skip != 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(tmp, Mix(seed, word++));
            var n = Math.Min(8 - skip, destination.Length);
            tmp.Slice(skip, n).CopyTo(destination);
            written = n;
        }

        while (destination.Length - written >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[written..], Mix(seed, word++));
            written += 8;
        }

        if (written < destination.Length)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(tmp, Mix(seed, word));
            tmp[..(destination.Length - written)].CopyTo(destination[written..]);
        }
    }

    /// <summary>SHA-256 of the whole content, computed by streaming it once.</summary>
    public string Sha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            for (long offset = 0; offset < length; offset += 1 << 20)
            {
                var n = (int)Math.Min(1 << 20, length - offset);
                Fill(offset, buffer.AsSpan(0, n));
                hash.AppendData(buffer, 0, n);
            }

            return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public byte[] Slice(long offset, int count)
    {
        var bytes = new byte[count];
        Fill(offset, bytes);
        return bytes;
    }

    /// <summary>Request content streaming [offset, offset+count) with a fixed Content-Length.</summary>
    public GeneratedContent Content(long offset, long count) => new(this, offset, count);

    private static ulong Mix(ulong seed, long word)
    {
        // SplitMix64 finaliser over (seed + word * golden ratio): stateless, so any word can be computed directly.
        var z = seed + (ulong)word * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>
/// Streams a range of <see cref="GeneratedData"/>. <see cref="PauseAfter"/> lets a test freeze the upload once that many
/// bytes are on the wire (to kill the server mid-request) and release it with <see cref="Resume"/>.
/// </summary>
public sealed class GeneratedContent : HttpContent
{
    private readonly GeneratedData _data;
    private readonly long _offset;
    private readonly long _count;
    private readonly TaskCompletionSource _paused = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GeneratedContent(GeneratedData data, long offset, long count)
    {
        _data = data;
        _offset = offset;
        _count = count;
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(MediaTypes.OctetStream);
    }

    /// <summary>When set, stop sending after this many bytes until <see cref="Resume"/>.</summary>
    public long? PauseAfter { get; init; }

    /// <summary>Completes when the upload has stopped at <see cref="PauseAfter"/>.</summary>
    public Task Paused => _paused.Task;

    public long BytesSent { get; private set; }

    public void Resume() => _resume.TrySetResult();

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        await SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        const int bufferSize = 1 << 20;
        var buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        try
        {
            long sent = 0;
            while (sent < _count)
            {
                var n = (int)Math.Min(bufferSize, _count - sent);
                if (PauseAfter is { } pause && sent < pause && sent + n > pause)
                {
                    n = (int)(pause - sent);
                }

                _data.Fill(_offset + sent, buffer.AsSpan(0, n));
                await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                sent += n;
                BytesSent = sent;
                if (PauseAfter == sent)
                {
                    await stream.FlushAsync(cancellationToken);
                    _paused.TrySetResult();
                    await _resume.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _count;
        return true;
    }
}
