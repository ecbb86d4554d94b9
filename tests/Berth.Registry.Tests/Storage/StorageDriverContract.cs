using System.Buffers;
using System.Security.Cryptography;
using Berth.Oci;
using Berth.Registry.Storage;

namespace Berth.Registry.Tests.Storage;

/// <summary>
/// What every <see cref="IStorageDriver"/> must do, as the interface documents it. A driver's test class derives
/// from this and supplies <see cref="CreateDriver"/>; everything here uses only the interface. Each test works
/// under its own random key prefix, so drivers over a shared backend (a bucket) can run these side by side.
/// </summary>
public abstract class StorageDriverContract : IAsyncLifetime
{
    private IStorageDriver? _driver;

    /// <summary>A fresh driver for one test.</summary>
    protected abstract IStorageDriver CreateDriver();

    /// <summary>Releases whatever <see cref="CreateDriver"/> set up (a temporary directory, a bucket prefix).</summary>
    protected virtual Task CleanUpAsync() => Task.CompletedTask;

    protected IStorageDriver Driver => _driver ?? throw new InvalidOperationException("driver not created");

    /// <summary>The key prefix private to this test.</summary>
    protected string Root { get; } = "contract-" + Guid.NewGuid().ToString("N");

    protected static CancellationToken None => CancellationToken.None;

    protected string Key(string relative) => $"{Root}/{relative}";

    public Task InitializeAsync()
    {
        _driver = CreateDriver();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_driver is not null)
            {
                await _driver.DeleteAsync(Root, None);
            }
        }
        finally
        {
            await CleanUpAsync();
        }
    }

    // ---- helpers ----

    protected async Task PutAsync(string key, byte[] content)
    {
        await using var writer = await OpenNewAsync(key);
        await writer.WriteAsync(new ReadOnlySequence<byte>(content), None);
        await writer.CommitAsync(None);
    }

    protected async Task<IStorageWriter> OpenNewAsync(string key, IStorageDriver? driver = null) =>
        await (driver ?? Driver).OpenWriterAsync(key, null, None) ?? throw new InvalidOperationException("a new writer must always open");

    protected async Task<IStorageWriter> ResumeAsync(string key, WriterCheckpoint checkpoint, IStorageDriver? driver = null) =>
        await (driver ?? Driver).OpenWriterAsync(key, checkpoint, None) ?? throw new InvalidOperationException($"no object to resume at {key}");

    protected async Task<byte[]?> ReadAsync(string key, long offset = 0)
    {
        await using var stream = await Driver.OpenReadAsync(key, offset, None);
        if (stream is null)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    protected async Task<List<string>> ListAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var key in Driver.ListAsync(prefix, None))
        {
            keys.Add(key);
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    protected static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    // ---- stat and read ----

    [Fact]
    public async Task Stat_of_an_absent_key_is_null()
    {
        Assert.Null(await Driver.StatAsync(Key("absent"), None));
        Assert.Null(await Driver.StatAsync(Key("no/such/dir/data"), None));
    }

    [Fact]
    public async Task OpenRead_of_an_absent_key_is_null()
    {
        Assert.Null(await Driver.OpenReadAsync(Key("absent"), 0, None));
        Assert.Null(await Driver.OpenReadAsync(Key("no/such/dir/data"), 0, None));
    }

    [Fact]
    public async Task A_committed_object_has_its_size_and_bytes()
    {
        var content = Bytes(1000, 1);
        var key = Key("blobs/a/data");
        await PutAsync(key, content);

        Assert.Equal(1000, await Driver.StatAsync(key, None));
        Assert.Equal(content, await ReadAsync(key));
    }

    [Fact]
    public async Task Realistic_blob_keys_round_trip()
    {
        var content = "{}"u8.ToArray();
        var key = Key(StorageKeys.Blob(Digest.Sha256(content)));
        await PutAsync(key, content);
        Assert.Equal(content, await ReadAsync(key));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(499)]
    [InlineData(999)]
    public async Task Reads_start_at_the_requested_offset(int offset)
    {
        var content = Bytes(1000, 2);
        var key = Key("offset");
        await PutAsync(key, content);

        Assert.Equal(content[offset..], await ReadAsync(key, offset));
    }

    [Fact]
    public async Task An_empty_object_exists_with_size_zero()
    {
        var key = Key("empty");
        await using (var writer = await OpenNewAsync(key))
        {
            Assert.Equal(0, writer.Size);
            await writer.CommitAsync(None);
        }

        Assert.Equal(0, await Driver.StatAsync(key, None));
        Assert.Equal(Array.Empty<byte>(), await ReadAsync(key));
    }

    [Fact]
    public async Task A_prefix_with_objects_under_it_is_not_itself_an_object()
    {
        await PutAsync(Key("dir/child"), Bytes(10, 3));
        Assert.Null(await Driver.StatAsync(Key("dir"), None));
        Assert.Null(await Driver.OpenReadAsync(Key("dir"), 0, None));
    }

    // ---- writing ----

    [Fact]
    public async Task Writer_size_counts_every_byte_written()
    {
        var key = Key("sized");
        await using var writer = await OpenNewAsync(key);
        Assert.Equal(0, writer.Size);
        await writer.WriteAsync(new ReadOnlySequence<byte>(Bytes(10, 4)), None);
        Assert.Equal(10, writer.Size);
        await writer.WriteAsync(ReadOnlySequence<byte>.Empty, None);
        Assert.Equal(10, writer.Size);
        await writer.WriteAsync(new ReadOnlySequence<byte>(Bytes(7, 5)), None);
        Assert.Equal(17, writer.Size);
        await writer.CommitAsync(None);
        Assert.Equal(17, await Driver.StatAsync(key, None));
    }

    [Fact]
    public async Task Successive_writes_are_concatenated()
    {
        var first = Bytes(100, 6);
        var second = Bytes(33, 7);
        var key = Key("concat");
        await using (var writer = await OpenNewAsync(key))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(first), None);
            await writer.WriteAsync(new ReadOnlySequence<byte>(second), None);
            await writer.CommitAsync(None);
        }

        Assert.Equal(first.Concat(second).ToArray(), await ReadAsync(key));
    }

    [Fact]
    public async Task Multi_segment_sequences_are_written_in_order()
    {
        var parts = new[] { Bytes(3, 8), Array.Empty<byte>(), Bytes(1, 9), Bytes(4097, 10), Array.Empty<byte>(), Bytes(2, 11) };
        var sequence = Segments.Build(parts.Select(p => (ReadOnlyMemory<byte>)p).ToArray());
        Assert.False(sequence.IsSingleSegment);

        var key = Key("segments");
        await using (var writer = await OpenNewAsync(key))
        {
            await writer.WriteAsync(sequence, None);
            Assert.Equal(parts.Sum(p => p.Length), writer.Size);
            await writer.CommitAsync(None);
        }

        Assert.Equal(parts.SelectMany(p => p).ToArray(), await ReadAsync(key));
    }

    [Fact]
    public async Task A_suspended_writer_resumes_from_its_checkpoint_on_another_driver_instance()
    {
        var first = Bytes(500, 12);
        var second = Bytes(250, 13);
        var key = Key("uploads/u1/data");
        WriterCheckpoint checkpoint;
        await using (var writer = await OpenNewAsync(key))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(first), None);
            checkpoint = await writer.SuspendAsync(None);
        }

        Assert.Equal(500, checkpoint.Size);

        // Another node: a driver of its own over the same backend, knowing only the checkpoint.
        await using (var writer = await ResumeAsync(key, checkpoint, CreateDriver()))
        {
            Assert.Equal(500, writer.Size);
            await writer.WriteAsync(new ReadOnlySequence<byte>(second), None);
            Assert.Equal(750, writer.Size);
            await writer.CommitAsync(None);
        }

        Assert.Equal(750, await Driver.StatAsync(key, None));
        Assert.Equal(first.Concat(second).ToArray(), await ReadAsync(key));
    }

    [Fact]
    public async Task Resuming_at_size_zero_starts_empty_even_where_nothing_was_stored()
    {
        var content = Bytes(42, 14);
        var key = Key("fresh-resume");
        await using (var writer = await ResumeAsync(key, WriterCheckpoint.Empty))
        {
            Assert.Equal(0, writer.Size);
            await writer.WriteAsync(new ReadOnlySequence<byte>(content), None);
            await writer.CommitAsync(None);
        }

        Assert.Equal(content, await ReadAsync(key));
    }

    [Fact]
    public async Task Several_suspended_sessions_build_one_object()
    {
        var key = Key("chunks");
        var expected = new List<byte>();
        var checkpoint = WriterCheckpoint.Empty;
        for (var i = 0; i < 5; i++)
        {
            var chunk = Bytes(100 + i, 20 + i);
            expected.AddRange(chunk);
            await using var writer = await ResumeAsync(key, checkpoint);
            await writer.WriteAsync(new ReadOnlySequence<byte>(chunk), None);
            checkpoint = await writer.SuspendAsync(None);
            Assert.Equal(expected.Count, checkpoint.Size);
        }

        await using (var writer = await ResumeAsync(key, checkpoint))
        {
            await writer.CommitAsync(None);
        }

        Assert.Equal(expected.Count, await Driver.StatAsync(key, None));
        Assert.Equal(expected.ToArray(), await ReadAsync(key));
    }

    [Fact]
    public async Task Bytes_written_after_the_last_checkpoint_by_an_abandoned_writer_are_dropped_on_resume()
    {
        // A request that died (or lost its claim) mid-chunk: its bytes past the checkpoint must not survive.
        var kept = Bytes(300, 63);
        var abandoned = Bytes(1000, 64);
        var replacement = Bytes(77, 65);
        var key = Key("uploads/abandoned/data");
        WriterCheckpoint checkpoint;
        await using (var writer = await OpenNewAsync(key))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(kept), None);
            checkpoint = await writer.SuspendAsync(None);
        }

        await using (var writer = await ResumeAsync(key, checkpoint))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(abandoned), None);
        }

        await using (var writer = await ResumeAsync(key, checkpoint))
        {
            Assert.Equal(300, writer.Size);
            await writer.WriteAsync(new ReadOnlySequence<byte>(replacement), None);
            await writer.CommitAsync(None);
        }

        Assert.Equal(kept.Concat(replacement).ToArray(), await ReadAsync(key));
    }

    [Fact]
    public async Task A_suspended_object_is_listed_and_deleted_and_then_cannot_be_resumed()
    {
        var key = Key("uploads/gone/data");
        WriterCheckpoint checkpoint;
        await using (var writer = await OpenNewAsync(key))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(Bytes(64, 66)), None);
            checkpoint = await writer.SuspendAsync(None);
        }

        Assert.Equal([key], await ListAsync(Key("uploads")));
        await Driver.DeleteAsync(Key("uploads/gone"), None);
        Assert.Empty(await ListAsync(Key("uploads")));
        Assert.Null(await Driver.OpenWriterAsync(key, checkpoint, None));
    }

    [Fact]
    public async Task A_checkpoint_beyond_the_stored_bytes_cannot_be_resumed()
    {
        var key = Key("uploads/short/data");
        await using (var writer = await OpenNewAsync(key))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(Bytes(10, 67)), None);
            await writer.SuspendAsync(None);
        }

        Assert.Null(await Driver.OpenWriterAsync(key, new WriterCheckpoint(11, null), None));
    }

    [Fact]
    public async Task Cancel_after_resume_removes_the_object()
    {
        var key = Key("uploads/cancel-resumed/data");
        WriterCheckpoint checkpoint;
        await using (var writer = await OpenNewAsync(key))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(Bytes(10, 68)), None);
            checkpoint = await writer.SuspendAsync(None);
        }

        await using (var writer = await ResumeAsync(key, checkpoint))
        {
            await writer.CancelAsync(None);
        }

        Assert.Null(await Driver.StatAsync(key, None));
        Assert.DoesNotContain(key, await ListAsync(Root));
    }

    [Fact]
    public async Task A_new_writer_replaces_an_existing_object()
    {
        var key = Key("replaced");
        await PutAsync(key, Bytes(1000, 15));
        var replacement = Bytes(10, 16);

        await using (var writer = await OpenNewAsync(key))
        {
            Assert.Equal(0, writer.Size);
            await writer.WriteAsync(new ReadOnlySequence<byte>(replacement), None);
            await writer.CommitAsync(None);
        }

        Assert.Equal(10, await Driver.StatAsync(key, None));
        Assert.Equal(replacement, await ReadAsync(key));
    }

    [Fact]
    public async Task Cancel_removes_the_object()
    {
        var key = Key("cancelled");
        await using (var writer = await OpenNewAsync(key))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(Bytes(100, 17)), None);
            await writer.CancelAsync(None);
        }

        Assert.Null(await Driver.StatAsync(key, None));
        Assert.Null(await Driver.OpenReadAsync(key, 0, None));
        Assert.DoesNotContain(key, await ListAsync(Root));
    }

    [Fact]
    public async Task Cancel_leaves_other_objects_alone()
    {
        var neighbour = Key("dir/kept");
        await PutAsync(neighbour, Bytes(5, 18));
        await using (var writer = await OpenNewAsync(Key("dir/cancelled")))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(Bytes(5, 19)), None);
            await writer.CancelAsync(None);
        }

        Assert.Equal(5, await Driver.StatAsync(neighbour, None));
    }

    // ---- move ----

    [Fact]
    public async Task Move_publishes_the_source_under_the_destination()
    {
        var content = Bytes(300, 30);
        var source = Key("uploads/u2/data");
        var destination = Key("blobs/sha256/ab/abcd/data");
        await PutAsync(source, content);

        await Driver.MoveAsync(source, destination, None);

        Assert.Null(await Driver.StatAsync(source, None));
        Assert.Equal(300, await Driver.StatAsync(destination, None));
        Assert.Equal(content, await ReadAsync(destination));
    }

    [Fact]
    public async Task Move_replaces_an_existing_destination()
    {
        var old = Bytes(1000, 31);
        var content = Bytes(20, 32);
        var source = Key("src");
        var destination = Key("dst");
        await PutAsync(destination, old);
        await PutAsync(source, content);

        await Driver.MoveAsync(source, destination, None);

        Assert.Null(await Driver.StatAsync(source, None));
        Assert.Equal(20, await Driver.StatAsync(destination, None));
        Assert.Equal(content, await ReadAsync(destination));
    }

    // ---- delete ----

    [Fact]
    public async Task Delete_removes_one_object_and_nothing_else()
    {
        await PutAsync(Key("d/one"), Bytes(1, 40));
        await PutAsync(Key("d/two"), Bytes(2, 41));

        await Driver.DeleteAsync(Key("d/one"), None);

        Assert.Null(await Driver.StatAsync(Key("d/one"), None));
        Assert.Equal(2, await Driver.StatAsync(Key("d/two"), None));
    }

    [Fact]
    public async Task Delete_of_a_prefix_removes_everything_under_it()
    {
        await PutAsync(Key("uploads/u3/data"), Bytes(10, 42));
        await PutAsync(Key("uploads/u3/state/a"), Bytes(10, 43));
        await PutAsync(Key("uploads/u3/state/deeper/b"), Bytes(10, 44));
        await PutAsync(Key("uploads/u4/data"), Bytes(10, 45));

        await Driver.DeleteAsync(Key("uploads/u3"), None);

        Assert.Null(await Driver.StatAsync(Key("uploads/u3/data"), None));
        Assert.Null(await Driver.StatAsync(Key("uploads/u3/state/a"), None));
        Assert.Null(await Driver.StatAsync(Key("uploads/u3/state/deeper/b"), None));
        Assert.Empty(await ListAsync(Key("uploads/u3")));
        Assert.Equal(10, await Driver.StatAsync(Key("uploads/u4/data"), None));
    }

    /// <summary>
    /// Keys are '/'-separated paths: deleting the prefix "uploads/u5" (as <see cref="StorageKeys.Upload"/> does)
    /// must not take "uploads/u5x/…" with it, whatever a backend's raw string-prefix operations would do.
    /// </summary>
    [Fact]
    public async Task Delete_of_a_prefix_stops_at_path_segment_boundaries()
    {
        await PutAsync(Key("uploads/u5/data"), Bytes(10, 46));
        await PutAsync(Key("uploads/u5x/data"), Bytes(11, 47));
        await PutAsync(Key("uploads/u5.data"), Bytes(12, 48));

        await Driver.DeleteAsync(Key("uploads/u5"), None);

        Assert.Null(await Driver.StatAsync(Key("uploads/u5/data"), None));
        Assert.Equal(11, await Driver.StatAsync(Key("uploads/u5x/data"), None));
        Assert.Equal(12, await Driver.StatAsync(Key("uploads/u5.data"), None));
    }

    [Fact]
    public async Task Delete_of_an_absent_key_or_prefix_is_not_an_error()
    {
        await Driver.DeleteAsync(Key("absent"), None);
        await Driver.DeleteAsync(Key("absent/prefix/deep"), None);
        await PutAsync(Key("once"), Bytes(1, 49));
        await Driver.DeleteAsync(Key("once"), None);
        await Driver.DeleteAsync(Key("once"), None);
        Assert.Null(await Driver.StatAsync(Key("once"), None));
    }

    // ---- list ----

    [Fact]
    public async Task List_returns_every_key_under_a_prefix()
    {
        var keys = new[]
        {
            Key("l/a"),
            Key("l/b/c"),
            Key("l/b/d/e/f"),
            Key("l/z.data"),
        };
        foreach (var key in keys)
        {
            await PutAsync(key, Bytes(3, key.Length));
        }

        await PutAsync(Key("other/x"), Bytes(3, 50));
        await PutAsync(Key("lx/y"), Bytes(3, 51));

        Assert.Equal(keys.Order(StringComparer.Ordinal), await ListAsync(Key("l")));
        Assert.Equal([Key("l/b/c"), Key("l/b/d/e/f")], await ListAsync(Key("l/b")));
        Assert.Equal([Key("l/b/d/e/f")], await ListAsync(Key("l/b/d")));
    }

    [Fact]
    public async Task List_of_an_absent_prefix_is_empty()
    {
        Assert.Empty(await ListAsync(Key("nothing")));
        Assert.Empty(await ListAsync(Key("nothing/here/either")));
    }

    [Fact]
    public async Task List_does_not_show_deleted_or_cancelled_objects()
    {
        await PutAsync(Key("m/kept"), Bytes(1, 52));
        await PutAsync(Key("m/deleted"), Bytes(1, 53));
        await Driver.DeleteAsync(Key("m/deleted"), None);
        await using (var writer = await OpenNewAsync(Key("m/cancelled")))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(Bytes(1, 54)), None);
            await writer.CancelAsync(None);
        }

        Assert.Equal([Key("m/kept")], await ListAsync(Key("m")));
    }

    [Fact]
    public async Task List_reflects_a_move()
    {
        await PutAsync(Key("n/from"), Bytes(1, 55));
        await Driver.MoveAsync(Key("n/from"), Key("n/to/here"), None);
        Assert.Equal([Key("n/to/here")], await ListAsync(Key("n")));
    }

    // ---- large objects ----

    [Fact]
    public async Task A_20_MiB_object_written_in_odd_multi_segment_pieces_round_trips()
    {
        const int total = 20 * 1024 * 1024;
        var content = Bytes(total, 60);
        var pieceSizes = new[] { 1, 7, 4093, 65_537, 1_000_003, 3, 131_071, 2_097_143 };
        var random = new Random(61);
        var key = Key("large/data");

        await using (var writer = await OpenNewAsync(key))
        {
            var written = 0;
            var piece = 0;
            while (written < total)
            {
                var size = Math.Min(pieceSizes[piece++ % pieceSizes.Length], total - written);
                // Split each piece into 1–4 segments of uneven sizes, some of them empty.
                var segmentCount = random.Next(1, 5);
                var cuts = Enumerable.Range(0, segmentCount - 1).Select(_ => random.Next(0, size + 1)).Order().ToList();
                var segments = new List<ReadOnlyMemory<byte>>();
                var start = 0;
                foreach (var cut in cuts.Append(size))
                {
                    segments.Add(content.AsMemory(written + start, cut - start));
                    start = cut;
                }

                var sequence = Segments.Build([.. segments]);
                Assert.Equal(size, sequence.Length);
                await writer.WriteAsync(sequence, None);
                written += size;
                Assert.Equal(written, writer.Size);
            }

            await writer.CommitAsync(None);
        }

        Assert.Equal(total, await Driver.StatAsync(key, None));
        await using (var stream = await Driver.OpenReadAsync(key, 0, None))
        {
            Assert.NotNull(stream);
            Assert.Equal(SHA256.HashData(content), await SHA256.HashDataAsync(stream));
        }

        const int offset = 12_345_679;
        await using (var tail = await Driver.OpenReadAsync(key, offset, None))
        {
            Assert.NotNull(tail);
            Assert.Equal(SHA256.HashData(content.AsSpan(offset)), await SHA256.HashDataAsync(tail));
        }
    }

    [Fact]
    public async Task A_large_object_written_in_several_resumed_sessions_round_trips()
    {
        var content = Bytes(6 * 1024 * 1024 + 17, 62);
        var key = Key("large/appended");
        var boundaries = new[] { 0, 1, 1_048_577, 3_000_000, content.Length };
        var checkpoint = WriterCheckpoint.Empty;
        for (var i = 0; i < boundaries.Length - 1; i++)
        {
            await using var writer = await ResumeAsync(key, checkpoint, CreateDriver());
            Assert.Equal(boundaries[i], writer.Size);
            await writer.WriteAsync(new ReadOnlySequence<byte>(content, boundaries[i], boundaries[i + 1] - boundaries[i]), None);
            if (i < boundaries.Length - 2)
            {
                checkpoint = await writer.SuspendAsync(None);
            }
            else
            {
                await writer.CommitAsync(None);
            }
        }

        Assert.Equal(content.Length, await Driver.StatAsync(key, None));
        await using var stream = await Driver.OpenReadAsync(key, 0, None);
        Assert.NotNull(stream);
        Assert.Equal(SHA256.HashData(content), await SHA256.HashDataAsync(stream));
    }
}

/// <summary>Builds a multi-segment <see cref="ReadOnlySequence{T}"/> from separate pieces of memory.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Build(params ReadOnlyMemory<byte>[] parts)
    {
        if (parts.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segments(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1))
        {
            var next = new Segments(part, last.RunningIndex + last.Memory.Length);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
