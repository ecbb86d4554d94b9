using System.Buffers;
using System.Security.Cryptography;
using Berth.Registry.Storage;
using Berth.Storage.S3;
using Berth.Testing;

namespace Berth.Registry.Tests.Storage;

/// <summary>One s3rver for the whole class: every test works under its own key prefix of the one bucket.</summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    private S3rver? _server;

    public S3rver Server => _server ?? throw new InvalidOperationException("s3rver not started");

    public async Task InitializeAsync() => _server = await S3rver.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>
/// The storage contract against a real S3 emulator, plus what only S3 has: parts, tails, zombies and presigned URLs.
/// Parts are the smallest S3 allows (5 MiB) so that the contract's large objects span several.
/// </summary>
public sealed class S3StorageDriverTests(S3rverFixture fixture) : StorageDriverContract, IClassFixture<S3rverFixture>
{
    private const int MiB = 1024 * 1024;
    private readonly List<S3StorageDriver> _drivers = [];

    protected override IStorageDriver CreateDriver() => CreateS3Driver();

    protected override Task CleanUpAsync()
    {
        foreach (var driver in _drivers)
        {
            driver.Dispose();
        }

        return Task.CompletedTask;
    }

    private S3StorageDriver CreateS3Driver(bool redirect = false)
    {
        var driver = new S3StorageDriver(new S3StorageOptions
        {
            Endpoint = fixture.Server.Endpoint,
            Bucket = fixture.Server.Bucket,
            Region = S3rver.Region,
            AccessKey = S3rver.AccessKey,
            SecretKey = S3rver.SecretKey,
            PathStyle = true,
            Redirect = redirect,
            PartSize = S3StorageOptions.MinPartSize,
        });
        _drivers.Add(driver);
        return driver;
    }

    private S3StorageDriver S3Driver => (S3StorageDriver)Driver;

    /// <summary>Objects of the driver's hidden writer area for keys under <paramref name="relative"/>.</summary>
    private async Task<List<string>> WriterAreaAsync(string relative)
    {
        var keys = new List<string>();
        await foreach (var key in S3Driver.ListKeysAsync(S3StorageDriver.WritersArea + Key(relative) + "/", None))
        {
            keys.Add(key);
        }

        return keys;
    }

    private async Task<byte[]> Sha256Async(string key)
    {
        await using var stream = await Driver.OpenReadAsync(key, 0, None);
        Assert.NotNull(stream);
        return await SHA256.HashDataAsync(stream);
    }

    [Fact]
    public async Task A_20_MiB_upload_suspended_and_resumed_on_three_nodes_in_odd_chunks_round_trips()
    {
        var content = Bytes(20 * MiB, 80);
        var key = Key("uploads/odd/data");
        var nodes = new[] { CreateS3Driver(), CreateS3Driver(), CreateS3Driver() };
        var cuts = new[] { 0, 1, 1 + (3 * MiB), 1 + (12 * MiB), content.Length };
        var checkpoint = WriterCheckpoint.Empty;
        for (var i = 0; i < cuts.Length - 1; i++)
        {
            await using var writer = await ResumeAsync(key, checkpoint, nodes[i % nodes.Length]);
            Assert.Equal(cuts[i], writer.Size);
            await writer.WriteAsync(new ReadOnlySequence<byte>(content, cuts[i], cuts[i + 1] - cuts[i]), None);
            checkpoint = await writer.SuspendAsync(None);
            Assert.Equal(cuts[i + 1], checkpoint.Size);
            Assert.NotNull(checkpoint.State);
            Assert.True(checkpoint.State.Length < 1000, checkpoint.State);
        }

        await using (var writer = await ResumeAsync(key, checkpoint, nodes[1]))
        {
            await writer.CommitAsync(None);
        }

        Assert.Equal(content.Length, await Driver.StatAsync(key, None));
        Assert.Equal(SHA256.HashData(content), await Sha256Async(key));
        Assert.Empty(await WriterAreaAsync("uploads/odd"));
        Assert.Equal([key], await ListAsync(Key("uploads")));
    }

    [Fact]
    public async Task A_zombie_that_rewrites_listed_parts_after_the_valid_checkpoint_cannot_publish_its_bytes()
    {
        var head = Bytes(6 * MiB, 81);
        var valid = Bytes(9 * MiB, 82);
        var zombieBytes = Bytes(9 * MiB, 83);
        var last = Bytes(2 * MiB, 84);
        var key = Key("uploads/zombie/data");

        WriterCheckpoint first;
        await using (var writer = await OpenNewAsync(key))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(head), None);
            first = await writer.SuspendAsync(None);
        }

        // Both take the upload from the same checkpoint: the zombie first, then (its claim expired) the valid request.
        await using var zombie = await ResumeAsync(key, first, CreateS3Driver());
        WriterCheckpoint second;
        await using (var writer = await ResumeAsync(key, first, CreateS3Driver()))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(valid), None);
            second = await writer.SuspendAsync(None);
        }

        // The zombie writes after the valid checkpoint was taken: the same part numbers, other bytes.
        await zombie.WriteAsync(new ReadOnlySequence<byte>(zombieBytes), None);
        await zombie.SuspendAsync(None);

        Exception? failure;
        await using (var writer = await ResumeAsync(key, second, CreateS3Driver()))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(last), None);
            failure = await Record.ExceptionAsync(() => writer.CommitAsync(None));
        }

        // Part numbers follow the checkpoint, so the zombie's parts replaced listed ones: the commit must fail loudly
        // (S3 checks part ETags, s3rver does not, the writer checks the completed ETag) and publish nothing.
        Assert.IsType<IOException>(failure);
        Assert.Null(await Driver.StatAsync(key, None));

        // What is left is an unfinished upload's, and goes with it.
        await Driver.DeleteAsync(Key("uploads/zombie"), None);
        Assert.Empty(await ListAsync(Key("uploads")));
        Assert.Empty(await WriterAreaAsync("uploads/zombie"));
    }

    [Fact]
    public async Task Parts_and_tails_a_zombie_sent_past_the_checkpoint_are_left_out()
    {
        var head = Bytes(6 * MiB, 85);
        var zombieBytes = Bytes(12 * MiB, 86);
        var rest = Bytes(3 * MiB, 87);
        var key = Key("uploads/past/data");

        WriterCheckpoint checkpoint;
        await using (var writer = await OpenNewAsync(key))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(head), None);
            checkpoint = await writer.SuspendAsync(None);
        }

        // A request that got the checkpoint, sent two more parts and a tail, and then lost its claim.
        await using (var zombie = await ResumeAsync(key, checkpoint, CreateS3Driver()))
        {
            await zombie.WriteAsync(new ReadOnlySequence<byte>(zombieBytes), None);
            await zombie.SuspendAsync(None);
        }

        await using (var writer = await ResumeAsync(key, checkpoint, CreateS3Driver()))
        {
            Assert.Equal(head.Length, writer.Size);
            await writer.WriteAsync(new ReadOnlySequence<byte>(rest), None);
            await writer.CommitAsync(None);
        }

        Assert.Equal(head.Length + rest.Length, await Driver.StatAsync(key, None));
        Assert.Equal(SHA256.HashData(head.Concat(rest).ToArray()), await Sha256Async(key));
        Assert.Empty(await WriterAreaAsync("uploads/past"));
    }

    [Fact]
    public async Task Deleting_an_upload_leaves_no_writer_state_behind_and_it_cannot_be_resumed()
    {
        var key = Key("uploads/gone-big/data");
        WriterCheckpoint checkpoint;
        await using (var writer = await OpenNewAsync(key))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(Bytes(7 * MiB, 88)), None);
            checkpoint = await writer.SuspendAsync(None);
        }

        var area = await WriterAreaAsync("uploads/gone-big");
        Assert.Contains(area, k => k.Contains("/.writer/mpu-", StringComparison.Ordinal));
        Assert.Contains(area, k => k.Contains("/.writer/tail-", StringComparison.Ordinal));
        Assert.Equal([key], await ListAsync(Key("uploads")));

        await Driver.DeleteAsync(Key("uploads/gone-big"), None);

        Assert.Empty(await WriterAreaAsync("uploads/gone-big"));
        Assert.Empty(await ListAsync(Key("uploads")));
        Assert.Null(await Driver.OpenWriterAsync(key, checkpoint, None));
    }

    [Fact]
    public async Task A_checkpoint_whose_tail_is_gone_cannot_be_resumed()
    {
        var key = Key("uploads/tailless/data");
        WriterCheckpoint checkpoint;
        await using (var writer = await OpenNewAsync(key))
        {
            await writer.WriteAsync(new ReadOnlySequence<byte>(Bytes(1000, 89)), None);
            checkpoint = await writer.SuspendAsync(None);
        }

        foreach (var hidden in await WriterAreaAsync("uploads/tailless"))
        {
            await S3Driver.Client.DeleteObjectAsync(fixture.Server.Bucket, hidden, None);
        }

        Assert.Null(await Driver.OpenWriterAsync(key, checkpoint, None));
        Assert.Null(await Driver.OpenWriterAsync(key, new WriterCheckpoint(checkpoint.Size, "{not json"), None));
        Assert.Null(await Driver.OpenWriterAsync(key, new WriterCheckpoint(checkpoint.Size + 1, checkpoint.State), None));
    }

    [Fact]
    public async Task A_small_object_never_touches_the_writer_area()
    {
        var key = Key("blobs/small/data");
        await PutAsync(key, Bytes(4096, 90));
        Assert.Empty(await WriterAreaAsync("blobs"));
        Assert.Equal(4096, await Driver.StatAsync(key, None));
    }

    [Fact]
    public async Task Redirects_are_presigned_urls_that_serve_the_bytes()
    {
        var content = Bytes(100_000, 91);
        var key = Key("blobs/redirected/data");
        await PutAsync(key, content);

        Assert.Null(await Driver.GetDirectAccessAsync(key, None));
        var access = await CreateS3Driver(redirect: true).GetDirectAccessAsync(key, None);

        Assert.NotNull(access?.RedirectUri);
        Assert.Null(access.LocalPath);
        Assert.Contains("X-Amz-Signature=", access.RedirectUri.Query, StringComparison.Ordinal);
        using var http = new HttpClient();
        Assert.Equal(content, await http.GetByteArrayAsync(access.RedirectUri));
    }

    [Fact]
    public async Task Reading_at_the_end_of_an_object_gives_an_empty_stream()
    {
        var key = Key("end");
        await PutAsync(key, Bytes(10, 92));
        Assert.Equal(Array.Empty<byte>(), await ReadAsync(key, 10));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/x")]
    [InlineData("a//b")]
    [InlineData("a/../b")]
    [InlineData("./a")]
    [InlineData("a/")]
    [InlineData(".writers/x/data")]
    [InlineData("a\\b")]
    public async Task Keys_that_are_not_plain_paths_are_refused(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.StatAsync(key, None));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.OpenWriterAsync(key, null, None));
        await Assert.ThrowsAsync<ArgumentException>(() => Driver.DeleteAsync(key, None));
    }
}
