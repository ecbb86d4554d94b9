using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Berth.Registry.Storage;
using Berth.Registry.Uploads;

namespace Berth.Benchmarks;

/// <summary>
/// The upload path: request body pipe → resumable SHA-256 → vectored write, through the real <c>ChunkCopy.CopyAsync</c>.
/// A producer task plays Kestrel's socket loop: it delivers the body in pieces of
/// <see cref="ArrivalBytes"/> (Kestrel's default transport pool yields ~2 KiB per receive; 64 KiB with larger blocks),
/// flushing after each, so the reader wakes up as often as it does behind a real socket.
/// </summary>
[MemoryDiagnoser]
public class DigestCopyBenchmarks
{
    private const int BodyBytes = 16 << 20;
    private readonly byte[] _body = new byte[BodyBytes];
    private FileSystemStorageDriver _driver = null!;
    private string _directory = "";

    [Params(2048, 65536)]
    public int ArrivalBytes { get; set; }

    [Params(false, true)]
    public bool ToFile { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_body);
        _directory = Directory.CreateTempSubdirectory("berth-bench-copy-").FullName;
        _driver = new FileSystemStorageDriver(_directory);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    /// <summary>The ceiling: one SHA-256 over the same bytes in memory.</summary>
    [Benchmark(Baseline = true)]
    public byte[] HashOnly() => SHA256.HashData(_body);

    [Benchmark]
    public async Task<long> CopyAsync()
    {
        // Kestrel's request pipe: the socket loop pauses at MaxRequestBufferSize (1 MiB).
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 512 << 10, useSynchronizationContext: false));
        var producer = Task.Run(async () =>
        {
            for (var offset = 0; offset < BodyBytes; offset += ArrivalBytes)
            {
                var piece = _body.AsSpan(offset, Math.Min(ArrivalBytes, BodyBytes - offset));
                piece.CopyTo(pipe.Writer.GetSpan(piece.Length));
                pipe.Writer.Advance(piece.Length);
                await pipe.Writer.FlushAsync();
            }

            await pipe.Writer.CompleteAsync();
        });

        using var hash = ResumableSha256.Create() ?? throw new InvalidOperationException("OpenSSL's SHA-256 is not available");
        await using var writer = ToFile ? (await _driver.OpenWriterAsync("uploads/bench/data", null, CancellationToken.None))! : NullWriter.Instance;
        var copied = (await ChunkCopy.CopyAsync(pipe.Reader, writer, hash, null, CancellationToken.None)).Written;
        await producer;
        await pipe.Reader.CompleteAsync();
        await writer.CommitAsync(CancellationToken.None);
        return copied == BodyBytes ? copied : throw new InvalidOperationException($"copied {copied} bytes");
    }

    private sealed class NullWriter : IStorageWriter
    {
        public static readonly NullWriter Instance = new();

        public long Size => 0;

        public ValueTask WriteAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public Task<WriterCheckpoint> SuspendAsync(CancellationToken cancellationToken) => Task.FromResult(WriterCheckpoint.Empty);

        public Task CommitAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task CancelAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
