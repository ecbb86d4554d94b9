using System.Buffers;
using Berth.Registry.Storage;

namespace Berth.Registry.Tests.Storage;

public sealed class FileSystemStorageDriverTests : StorageDriverContract
{
    // The store's root sits one level down inside a private directory, so anything a bad key
    // writes beside the root is caught (and cleaned up) without touching the rest of the machine.
    private readonly string _sandbox = Path.Combine(Path.GetTempPath(), "berth-fs-tests-" + Guid.NewGuid().ToString("N"));

    private string StoreRoot => Path.Combine(_sandbox, "store");

    protected override IStorageDriver CreateDriver() => new FileSystemStorageDriver(StoreRoot);

    protected override Task CleanUpAsync()
    {
        if (Directory.Exists(_sandbox))
        {
            Directory.Delete(_sandbox, recursive: true);
        }

        return Task.CompletedTask;
    }

    private string[] SandboxEntriesOutsideTheStore() =>
        Directory.EnumerateFileSystemEntries(_sandbox, "*", SearchOption.AllDirectories)
            .Where(path => path != StoreRoot && !path.StartsWith(StoreRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .ToArray();

    public static TheoryData<string> EscapingKeys()
    {
        var data = new TheoryData<string>
        {
            "",
            ".",
            "..",
            "../x",
            "../store-sibling/x",
            "../store",
            "a/../../x",
            "a/b/../../../x",
            "a/..",
            "./",
            "a/../",
            "a/b/../../",
            "/etc/passwd",
            "/x",
            "..\\x",
            "a\\..\\..\\x",
            "a\\b",
            "a\0b",
            "\0",
            "x/\0/../../y",
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(EscapingKeys))]
    public async Task Keys_that_could_escape_the_root_are_refused_by_every_operation(string key)
    {
        await PutAsync(Key("existing"), [1, 2, 3]);
        var good = Key("existing");

        await Assert.ThrowsAsync<ArgumentException>(() => Driver.StatAsync(key, None));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.OpenReadAsync(key, 0, None));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.OpenWriterAsync(key, null, None));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.OpenWriterAsync(key, new WriterCheckpoint(1, null), None));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.DeleteAsync(key, None));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.GetDirectAccessAsync(key, None));
        await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var _ in Driver.ListAsync(key, None))
            {
            }
        });
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.MoveAsync(key, Key("moved"), None));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.MoveAsync(good, key, None));

        Assert.Empty(SandboxEntriesOutsideTheStore());
        Assert.True(Directory.Exists(StoreRoot));
        Assert.Equal(3, await Driver.StatAsync(good, None));
        Assert.Null(await Driver.StatAsync(Key("moved"), None));
    }

    [Theory]
    [InlineData("./")]
    [InlineData("a/../")]
    [InlineData("a/b/../../")]
    [InlineData("a/..")]
    [InlineData(".")]
    public async Task Keys_naming_the_root_itself_cannot_delete_the_store(string key)
    {
        await PutAsync(Key("existing"), [1, 2, 3]);

        var refused = await Record.ExceptionAsync(() => Driver.DeleteAsync(key, None));

        Assert.True(Directory.Exists(StoreRoot), $"DeleteAsync(\"{key}\") removed the whole store");
        Assert.Equal(3, await Driver.StatAsync(Key("existing"), None));
        Assert.IsType<ArgumentException>(refused);
    }

    [Fact]
    public async Task An_absolute_key_inside_the_sandbox_is_refused_and_nothing_is_written_there()
    {
        var outside = Path.Combine(_sandbox, "outside", "data");
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.OpenWriterAsync(outside, null, None));
        await PutAsync(Key("existing"), [1]);
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.MoveAsync(Key("existing"), outside, None));
        Assert.Empty(SandboxEntriesOutsideTheStore());
    }

    [Fact]
    public async Task A_file_outside_the_root_is_neither_read_nor_deleted_through_a_relative_key()
    {
        Directory.CreateDirectory(_sandbox);
        var secret = Path.Combine(_sandbox, "secret");
        await File.WriteAllTextAsync(secret, "do not touch");

        await Assert.ThrowsAsync<ArgumentException>(() => Driver.OpenReadAsync("../secret", 0, None));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.DeleteAsync("../secret", None));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.DeleteAsync("..", None));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.MoveAsync("../secret", Key("stolen"), None));

        Assert.Equal("do not touch", await File.ReadAllTextAsync(secret));
        Assert.True(Directory.Exists(StoreRoot));
    }

    [Fact]
    public async Task A_folder_at_a_key_as_uploads_kept_their_bytes_before_is_no_object_and_a_new_writer_replaces_it()
    {
        // uploads/ID/data: where an upload begun before its bytes became one object at uploads/ID kept them.
        await PutAsync(Key("uploads/old/data"), Bytes(100, 1));
        Assert.Null(await Driver.StatAsync(Key("uploads/old"), None));
        Assert.Null(await Driver.OpenReadAsync(Key("uploads/old"), 0, None));
        Assert.Null(await Driver.OpenWriterAsync(Key("uploads/old"), new WriterCheckpoint(100, null), None));

        await PutAsync(Key("uploads/old"), [1, 2, 3]);
        Assert.Equal([1, 2, 3], await ReadAsync(Key("uploads/old")));
        Assert.Equal([Key("uploads/old")], await ListAsync(Key("uploads")));

        // Deleting an upload's key deletes such a folder too (the purge of an abandoned upload from before).
        await PutAsync(Key("uploads/gone/data"), Bytes(10, 2));
        await Driver.DeleteAsync(Key("uploads/gone"), None);
        await Driver.DeleteAsync(Key("uploads/old"), None);
        Assert.Empty(await ListAsync(Key("uploads")));
    }

    [Fact]
    public async Task The_uploads_folder_marker_is_written_once_by_concurrent_first_uploads_and_is_no_upload()
    {
        // Twenty first uploads at once on one driver, then a second driver on the same root (another process).
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => UploadsFolder.EnsureAsync(Driver, None))));
        await UploadsFolder.EnsureAsync(CreateDriver(), None);

        Assert.Equal(0, await Driver.StatAsync(UploadsFolder.MarkerKey, None));
        Assert.Equal([UploadsFolder.MarkerKey], await ListAsync("uploads"));
        Assert.False(Berth.Registry.Uploads.UploadId.IsValid(UploadsFolder.MarkerKey["uploads/".Length..]));
    }

    [Fact]
    public async Task Dot_segments_that_stay_inside_the_root_name_the_same_object()
    {
        await PutAsync(Key("a/b"), [7, 8]);
        Assert.Equal(2, await Driver.StatAsync(Key("a/x/../b"), None));
    }

    [Fact]
    public async Task Direct_access_is_a_local_file_inside_the_root()
    {
        var content = Bytes(64, 70);
        var key = Key("blobs/sha256/ab/abcdef/data");
        await PutAsync(key, content);

        var access = await Driver.GetDirectAccessAsync(key, None);

        Assert.NotNull(access);
        Assert.Null(access.RedirectUri);
        Assert.NotNull(access.LocalPath);
        var path = Path.GetFullPath(access.LocalPath);
        Assert.StartsWith(Path.GetFullPath(StoreRoot) + Path.DirectorySeparatorChar, path, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task Objects_are_plain_files_under_the_root()
    {
        await PutAsync(Key("p/q"), [1, 2, 3, 4]);
        Assert.Equal([1, 2, 3, 4], await File.ReadAllBytesAsync(Path.Combine(StoreRoot, Root, "p", "q")));
    }

    [Fact]
    public async Task A_new_driver_over_the_same_root_sees_committed_objects()
    {
        var content = Bytes(100, 71);
        await PutAsync(Key("persist"), content);

        var reopened = new FileSystemStorageDriver(StoreRoot);
        Assert.Equal(100, await reopened.StatAsync(Key("persist"), None));
        await using var stream = await reopened.OpenReadAsync(Key("persist"), 0, None);
        Assert.NotNull(stream);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        Assert.Equal(content, buffer.ToArray());
    }

    [Fact]
    public void Writeback_can_be_started_for_a_file_being_written_on_linux()
    {
        Directory.CreateDirectory(_sandbox);
        using var handle = File.OpenHandle(Path.Combine(_sandbox, "dirty"), FileMode.Create, FileAccess.Write);
        RandomAccess.Write(handle, Bytes(1 << 20, 3), 0);

        Assert.Equal(OperatingSystem.IsLinux(), Writeback.Start(handle, 0, 1 << 20));
    }

    [Fact]
    public async Task An_object_written_past_several_writeback_starts_in_odd_pieces_and_resumed_between_them_round_trips()
    {
        // 2.5 writeback intervals, in pieces that end nowhere near an interval's edge, suspended and resumed mid-way.
        var content = Bytes((int)(Writeback.Interval * 5 / 2), 29);
        var pieces = new[] { 1_000_003, (int)Writeback.Interval + 12_345, 7, 3_333_333 };
        var offset = 0;
        var writer = await OpenNewAsync(Key("big"));
        foreach (var piece in pieces)
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(content, offset, piece), None);
            offset += piece;
        }

        var checkpoint = await writer.SuspendAsync(None);
        await writer.DisposeAsync();
        writer = await ResumeAsync(Key("big"), checkpoint);
        while (offset < content.Length)
        {
            var piece = Math.Min(2_500_001, content.Length - offset);
            await writer.WriteAsync(new ReadOnlySequence<byte>(content, offset, piece), None);
            offset += piece;
        }

        await writer.CommitAsync(None);
        await writer.DisposeAsync();
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(StoreRoot, Root, "big")));
    }
}
