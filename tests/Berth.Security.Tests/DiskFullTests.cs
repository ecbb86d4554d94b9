using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// A full disk (issue 14): on a 64 MiB tmpfs data directory a 100 MiB PATCH got no answer (the connection was cut while
/// Kestrel drained the body), its partial bytes kept the disk full and every later push failed in the database. Now the
/// request that hits ENOSPC answers 507 in the spec's error shape, the upload goes back to its last recorded offset (space
/// given back, still resumable), a reserve refuses pushes before the database cannot write, and pulls go on. Needs root
/// (it mounts the tmpfs), and SQLite + files: it chooses them whatever the suite's database and storage.
/// </summary>
public sealed class DiskFullTests(DiskFullTests.TmpfsServer fixture) : IClassFixture<DiskFullTests.TmpfsServer>
{
    private const long MiB = 1024 * 1024;
    private const long Reserve = 4 * MiB;
    private const string Repo = "ops/disk";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private HttpClient Http => fixture.Http;

    private string Mount => fixture.Mount;

    /// <summary>One server for the class, its data directory a 64 MiB tmpfs with a 4 MiB reserve; unmounted at the end.</summary>
    public sealed class TmpfsServer : IAsyncLifetime
    {
        private bool _mounted;
        private RegistryServer? _server;
        private HttpClient? _http;

        public string Mount { get; } = Path.Combine(Path.GetTempPath(), "berth-tests", $"tmpfs-{Guid.NewGuid():N}");

        public HttpClient Http => _http!;

        public async Task InitializeAsync()
        {
            Assert.True(Environment.IsPrivilegedProcess,
                "DiskFullTests mounts a 64 MiB tmpfs as the data directory and must run as root (test.sh does, as CI); it cannot be skipped");
            Directory.CreateDirectory(Mount);
            await RunAsync("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", Mount);
            _mounted = true;
            _server = await RegistryServer.StartAsync(extraArgs:
            [
                "--data-dir", Mount, "--database", "sqlite", "--storage", "filesystem",
                "--min-free-bytes", Reserve.ToString(CultureInfo.InvariantCulture),
            ]);
            _http = new HttpClient { BaseAddress = _server.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        }

        public async Task DisposeAsync()
        {
            _http?.Dispose();
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }

            if (_mounted)
            {
                await RunAsync("umount", Mount);
            }

            Directory.Delete(Mount, recursive: true);
        }
    }

    [Fact]
    public async Task A_push_that_fills_the_disk_is_answered_507_its_space_is_given_back_and_pulls_and_small_pushes_go_on()
    {
        var image = new ImageFactory().CreateImage(layers: 1);
        await V2.PushImageAsync(Http, Repo, image, "v1");

        // One 100 MiB chunk into 64 MiB: the disk fills mid-body.
        var location = await StartUploadAsync();
        using (var patch = await V2.SendAsync(Http, HttpMethod.Patch, location, null, V2.Octets(new byte[100 * MiB])))
        {
            await AssertDiskFullAsync(patch);
        }

        await AssertPullAsync(image);
        var free = await WaitForFreeAsync(f => f > 40 * MiB);
        Assert.True(free > 40 * MiB, $"the failed chunk's bytes were not given back: {free} bytes free");

        // The upload had no recorded bytes: it stays, at 0, and takes the next chunk.
        using (var status = await V2.SendAsync(Http, HttpMethod.Get, location, null))
        {
            await Expect.StatusAsync(status, HttpStatusCode.NoContent);
            Assert.Equal("0-0", status.Headers.GetValues("Range").Single());
        }

        var small = new Blob("application/octet-stream", RandomBytes(MiB));
        using (var resumed = await V2.SendAsync(Http, HttpMethod.Patch, location, null, V2.Octets(small.Bytes)))
        {
            await Expect.StatusAsync(resumed, HttpStatusCode.Accepted);
        }

        using (var completed = await V2.SendAsync(Http, HttpMethod.Put, $"{location}{(location.Contains('?', StringComparison.Ordinal) ? '&' : '?')}digest={small.Digest}", null))
        {
            await Expect.StatusAsync(completed, HttpStatusCode.Created);
        }

        Assert.Equal(small.Bytes, (await V2.GetAsync(Http, $"v2/{Repo}/blobs/{small.Digest}")).Body);
        await AssertReadyAsync("ok");
    }

    [Fact]
    public async Task Below_the_reserve_pushes_are_refused_up_front_pulls_and_deletes_work_and_readyz_and_the_gauge_say_so()
    {
        var image = new ImageFactory().CreateImage(layers: 1);
        await V2.PushImageAsync(Http, Repo, image, "v1");
        var doomed = new ImageFactory().CreateImage(layers: 1);
        await V2.PushImageAsync(Http, Repo, doomed, "doomed");
        var open = await StartUploadAsync();

        var filler = Path.Combine(Mount, "filler");
        await FillAsync(filler, leave: 2 * MiB);
        try
        {
            await AssertReadyAsync("degraded");
            var gauge = await GaugeAsync();
            Assert.True(gauge < Reserve, $"berth_storage_free_bytes is {gauge}, above the {Reserve} reserve");

            using (var post = await V2.SendAsync(Http, HttpMethod.Post, $"v2/{Repo}/blobs/uploads/", null))
            {
                await AssertDiskFullAsync(post);
            }

            using (var patch = await V2.SendAsync(Http, HttpMethod.Patch, open, null, V2.Octets(RandomBytes(64 * 1024))))
            {
                await AssertDiskFullAsync(patch);
            }

            await AssertPullAsync(image);
            using (var delete = await V2.SendAsync(Http, HttpMethod.Delete, $"v2/{Repo}/manifests/{doomed.Manifest.Digest}", null))
            {
                await Expect.StatusAsync(delete, HttpStatusCode.Accepted);
            }
        }
        finally
        {
            File.Delete(filler);
        }

        await AssertReadyAsync("ok");
        Assert.True(await GaugeAsync() > 40 * MiB);
        var after = new ImageFactory().CreateImage(layers: 1);
        await V2.PushImageAsync(Http, Repo, after, "after");
    }

    private static async Task AssertDiskFullAsync(HttpResponseMessage response)
    {
        var body = await Expect.BodyAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.InsufficientStorage, $"expected 507, got {(int)response.StatusCode} {body}");
        var error = JsonNode.Parse(body)!["errors"]![0]!;
        Assert.Equal("INSUFFICIENT_STORAGE", (string?)error["code"]);
        Assert.Contains("disk is full", (string?)error["message"], StringComparison.Ordinal);
    }

    private async Task AssertPullAsync(ImageFixture image)
    {
        var (status, manifest) = await V2.GetAsync(Http, $"v2/{Repo}/manifests/{image.Manifest.Digest}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(image.Manifest.Bytes, manifest);
        Assert.Equal(image.Layers[0].Bytes, (await V2.GetAsync(Http, $"v2/{Repo}/blobs/{image.Layers[0].Digest}")).Body);
    }

    private async Task AssertReadyAsync(string expected)
    {
        using var response = await Http.GetAsync("readyz");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/readyz answered {(int)response.StatusCode} {body}");
        var report = JsonNode.Parse(body)!;
        Assert.Equal(expected, (string?)report["status"]);
        Assert.Equal(expected, (string?)report["checks"]!["disk"]);
    }

    private async Task<double> GaugeAsync()
    {
        var text = await Http.GetStringAsync("metrics");
        var line = text.Split('\n').Single(l => l.StartsWith("berth_storage_free_bytes ", StringComparison.Ordinal));
        return double.Parse(line["berth_storage_free_bytes ".Length..], CultureInfo.InvariantCulture);
    }

    private async Task<string> StartUploadAsync()
    {
        using var started = await V2.SendAsync(Http, HttpMethod.Post, $"v2/{Repo}/blobs/uploads/", null);
        await Expect.StatusAsync(started, HttpStatusCode.Accepted);
        return started.Headers.Location!.ToString();
    }

    private long FreeBytes() => new DriveInfo(Mount).AvailableFreeSpace;

    private async Task<long> WaitForFreeAsync(Func<long, bool> done)
    {
        var clock = Stopwatch.StartNew();
        var free = FreeBytes();
        while (!done(free) && clock.Elapsed < Deadline)
        {
            await Task.Delay(50);
            free = FreeBytes();
        }

        return free;
    }

    /// <summary>Writes a file until <paramref name="leave"/> bytes are free (the data, not a sparse length, takes the space).</summary>
    private async Task FillAsync(string path, long leave)
    {
        var chunk = new byte[256 * 1024];
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        for (var i = 0; i < 64 * 4 && FreeBytes() - chunk.Length > leave; i++)
        {
            await file.WriteAsync(chunk);
            await file.FlushAsync();
        }

        Assert.True(FreeBytes() < Reserve, $"could not fill the disk below the reserve: {FreeBytes()} bytes free");
    }

    private static byte[] RandomBytes(long count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static async Task RunAsync(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)} failed: {stderr}");
    }
}
