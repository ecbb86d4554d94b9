using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// SIGTERM (issue 14): the server stops accepting at once, lets requests in flight finish within
/// <c>--shutdown-timeout-seconds</c>, stops an upload still streaming so that it records what it stored, and exits 0
/// without an exception in its log; started again on the same data, the upload continues from that offset.
/// </summary>
public sealed class GracefulShutdownTests : IAsyncLifetime
{
    private const int ShutdownSeconds = 4;
    private const int MiB = 1024 * 1024;
    private const string Repo = "ops/shutdown";
    private RegistryServer? _server;
    private HttpClient? _http;

    private RegistryServer Server => _server!;

    private HttpClient Http => _http!;

    public async Task InitializeAsync()
    {
        _server = await RegistryServer.StartAsync(extraArgs: ["--shutdown-timeout-seconds", ShutdownSeconds.ToString(CultureInfo.InvariantCulture)]);
        _http = new HttpClient { BaseAddress = _server.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Sigterm_refuses_new_connections_finishes_a_download_stops_an_upload_resumably_and_exits_0()
    {
        var blob = new Blob("application/octet-stream", RandomNumberGenerator.GetBytes(4 * MiB));
        Assert.Equal(HttpStatusCode.Created, await V2.PushBlobAsync(Http, Repo, blob));

        // A download read slowly (4 MiB at about 2 MiB/s), and an upload sending 16 MiB at about 1 MiB/s: longer than
        // the shutdown allows, so the server must stop it.
        using var downloadClient = new HttpClient { BaseAddress = Server.BaseUri };
        using var download = await downloadClient.GetAsync($"v2/{Repo}/blobs/{blob.Digest}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        var downloadStream = await download.Content.ReadAsStreamAsync();

        string location;
        using (var started = await V2.SendAsync(Http, HttpMethod.Post, $"v2/{Repo}/blobs/uploads/", null))
        {
            await Expect.StatusAsync(started, HttpStatusCode.Accepted);
            location = started.Headers.Location!.ToString();
        }

        var content = RandomNumberGenerator.GetBytes(16 * MiB);
        using var stopSending = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var slow = new SlowContent(content, 64 * 1024, TimeSpan.FromMilliseconds(60), stopSending.Token);
        using var uploadClient = new HttpClient { BaseAddress = Server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var upload = SendSwallowingAsync(uploadClient, new HttpRequestMessage(HttpMethod.Patch, location) { Content = slow });
        await WaitAsync(() => slow.Sent >= MiB, "the upload to send its first MiB");

        var downloaded = new MemoryStream();
        var reader = ReadSlowlyAsync(downloadStream, downloaded);
        var clock = Stopwatch.StartNew();
        await SignalAsync(Server.ProcessId, "TERM");

        await WaitAsync(() => !Accepts(Server.Port), "new connections to be refused");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"still accepting {clock.Elapsed.TotalSeconds:F1} s after SIGTERM");

        await reader;
        Assert.Equal(blob.Digest, Blob.Sha256Digest(downloaded.ToArray()));

        var answer = await upload;
        Assert.True(answer is null or HttpStatusCode.ServiceUnavailable, $"the stopped upload was answered {answer}");
        await WaitAsync(() => Server.ReadLog().Contains("--- exited with", StringComparison.Ordinal), "the server to exit", TimeSpan.FromSeconds(ShutdownSeconds + 5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(ShutdownSeconds + 2), $"the server took {clock.Elapsed.TotalSeconds:F1} s to stop");
        var log = Server.ReadLog();
        Assert.Contains("--- exited with 0", log, StringComparison.Ordinal);
        Assert.False(log.Contains("Exception", StringComparison.Ordinal) || log.Contains("fail:", StringComparison.Ordinal), $"the log has errors:\n{log}");
        stopSending.Cancel();

        // Started again on the same data: the upload stands where the stopped chunk left it, and goes on from there.
        await Server.RestartAsync();
        long offset;
        using (var status = await V2.SendAsync(Http, HttpMethod.Get, location, null))
        {
            await Expect.StatusAsync(status, HttpStatusCode.NoContent);
            offset = long.Parse(status.Headers.GetValues("Range").Single().Split('-')[1], CultureInfo.InvariantCulture) + 1;
        }

        Assert.True(offset >= 256 * 1024 && offset <= slow.Sent, $"the upload stands at {offset} bytes; {slow.Sent} were sent");
        using (var rest = new HttpRequestMessage(HttpMethod.Patch, location) { Content = V2.Octets(content[(int)offset..]) })
        {
            rest.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{content.Length - 1}");
            using var resumed = await Http.SendAsync(rest);
            await Expect.StatusAsync(resumed, HttpStatusCode.Accepted);
        }

        var digest = Blob.Sha256Digest(content);
        using (var completed = await V2.SendAsync(Http, HttpMethod.Put, $"{location}{(location.Contains('?', StringComparison.Ordinal) ? '&' : '?')}digest={digest}", null))
        {
            await Expect.StatusAsync(completed, HttpStatusCode.Created);
        }

        Assert.Equal(content, (await V2.GetAsync(Http, $"v2/{Repo}/blobs/{digest}")).Body);
    }

    /// <summary>The status of a request the server may cut instead of answering (null then).</summary>
    private static async Task<HttpStatusCode?> SendSwallowingAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            try
            {
                using var response = await client.SendAsync(request);
                return response.StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                return null;
            }
        }
    }

    private static async Task ReadSlowlyAsync(Stream source, MemoryStream into)
    {
        var buffer = new byte[64 * 1024];
        for (var i = 0; i < 1024; i++)
        {
            var read = await source.ReadAsync(buffer);
            if (read == 0)
            {
                return;
            }

            into.Write(buffer, 0, read);
            await Task.Delay(30);
        }
    }

    private static bool Accepts(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task WaitAsync(Func<bool> done, string what, TimeSpan? limit = null)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(clock.Elapsed < (limit ?? TimeSpan.FromSeconds(10)), $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    private static async Task SignalAsync(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>A body sent in small pieces with pauses, as a slow client would; stops when told, never past its bytes.</summary>
    private sealed class SlowContent : HttpContent
    {
        private readonly byte[] _bytes;
        private readonly int _piece;
        private readonly TimeSpan _pause;
        private readonly CancellationToken _stop;
        private long _sent;

        public SlowContent(byte[] bytes, int piece, TimeSpan pause, CancellationToken stop)
        {
            (_bytes, _piece, _pause, _stop) = (bytes, piece, pause, stop);
            Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            Headers.ContentLength = bytes.Length;
        }

        public long Sent => Interlocked.Read(ref _sent);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var at = 0; at < _bytes.Length; at += _piece)
            {
                await stream.WriteAsync(_bytes.AsMemory(at, Math.Min(_piece, _bytes.Length - at)), _stop);
                await stream.FlushAsync(_stop);
                Interlocked.Add(ref _sent, Math.Min(_piece, _bytes.Length - at));
                await Task.Delay(_pause, _stop);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _bytes.Length;
            return true;
        }
    }
}
