using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Only blob uploads may send unbounded bodies: an anonymous client must not make the server buffer a huge
/// <c>/token</c> form or API document (the review's 191 MiB form raised RSS by 388 MB before its 400).
/// One server serves every test but the first: refusals leave nothing behind. The first measures the process's peak RSS,
/// which another test's 8 MiB uploads would already have raised, so it starts its own.
/// </summary>
public sealed class RequestBodyLimitTests(RequestBodyLimitTests.SharedSite shared) : IClassFixture<RequestBodyLimitTests.SharedSite>
{
    private const long TwoHundredMiB = 200L * 1024 * 1024;

    /// <summary>Peak RSS may grow by this much at most while a huge body is refused.</summary>
    private const long FewMiB = 8L * 1024 * 1024;

    [Fact]
    public async Task A_200_MiB_streamed_token_form_is_413_and_the_server_does_not_buffer_it()
    {
        await using var site = await Site.StartAsync();
        using var http = site.NewClient();
        await WarmUpTokenPostAsync(http);
        var peakBefore = site.Server.PeakRssBytes();

        var (status, sent) = await StreamChunkedFormAsync(site.Server.Port, TwoHundredMiB);

        Assert.Equal(413, status);
        Assert.True(sent < TwoHundredMiB, "the server read the whole body instead of refusing it early");
        var growth = site.Server.PeakRssBytes() - peakBefore;
        Assert.True(growth <= FewMiB, $"peak RSS grew by {growth / 1024 / 1024} MiB while refusing the form");
    }

    [Fact]
    public async Task A_token_form_declared_at_200_MiB_is_413_before_a_byte_is_read()
    {
        var site = shared.Site;
        // The client waits for "100 Continue" as long as the test allows: with the default 1 s, a busy machine has the
        // client start the body before the 413 arrives, and the connection the server then closes breaks the write.
        using var http = site.NewClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false, Expect100ContinueTimeout = TimeSpan.FromSeconds(60) });
        var body = new GeneratedBody("client_id=x&password="u8.ToArray(), TwoHundredMiB);
        using var content = new StreamContent(body, 64 * 1024);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        content.Headers.ContentLength = TwoHundredMiB;
        using var request = new HttpRequestMessage(HttpMethod.Post, "token") { Content = content };
        request.Headers.ExpectContinue = true;

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.True(body.Produced < TwoHundredMiB);
    }

    [Fact]
    public async Task A_token_form_of_many_small_fields_is_refused_not_a_server_error()
    {
        var site = shared.Site;
        using var http = site.NewClient();
        var fields = string.Join("&", Enumerable.Range(0, 2000).Select(i => $"f{i}=1"));
        using var content = new StringContent("client_id=x&" + fields, Encoding.ASCII, "application/x-www-form-urlencoded");
        using var response = await http.PostAsync("token", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_oversized_JSON_body_to_the_API_is_413(bool declaredLength)
    {
        var site = shared.Site;
        using var http = site.NewClient();
        var body = new GeneratedBody("{\"name\":\""u8.ToArray(), (1024 + 256) * 1024);
        using var content = new StreamContent(body, 64 * 1024);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (declaredLength)
        {
            content.Headers.ContentLength = body.Length;
        }

        using var response = await http.PostAsync("api/v1/users", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Blob_uploads_stay_unbounded_an_8_MiB_chunk_and_an_8_MiB_monolithic_push_succeed()
    {
        var site = shared.Site;
        var registry = site.Admin.Registry;
        var chunk = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(chunk));

        using var start = await registry.PostAsync("v2/admin/big/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        using var patchContent = new ByteArrayContent(chunk);
        patchContent.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var patch = await registry.PatchAsync(start.Headers.Location, patchContent);
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        var location = patch.Headers.Location!.ToString();
        var separator = location.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        using var finish = await registry.PutAsync(location + separator + "digest=" + Uri.EscapeDataString(digest), null);
        Assert.Equal(HttpStatusCode.Created, finish.StatusCode);

        var other = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        var otherDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(other));
        using var monolithicContent = new ByteArrayContent(other);
        monolithicContent.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var monolithic = await registry.PostAsync($"v2/admin/big/blobs/uploads/?digest={Uri.EscapeDataString(otherDigest)}", monolithicContent);
        Assert.Equal(HttpStatusCode.Created, monolithic.StatusCode);

        using var head = await registry.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"v2/admin/big/blobs/{digest}"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(chunk.Length, head.Content.Headers.ContentLength);
    }

    /// <summary>One small form first, so what is measured afterwards is the big body, not first-use JIT and pools.</summary>
    private static async Task WarmUpTokenPostAsync(HttpClient http)
    {
        for (var i = 0; i < 3; i++)
        {
            using var content = new StringContent("grant_type=password&client_id=x&username=nobody&password=x", Encoding.ASCII, "application/x-www-form-urlencoded");
            using var response = await http.PostAsync("token", content);
            Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        }
    }

    /// <summary>
    /// Streams an anonymous urlencoded <c>POST /token</c> of up to <paramref name="total"/> bytes in chunked encoding
    /// (no Content-Length, so the server cannot refuse it up front) over a raw socket, reading the answer while
    /// sending: the server answers and closes part-way, which an HTTP client reports as a failed send.
    /// Returns the status and how many body bytes were sent by then.
    /// </summary>
    private static async Task<(int Status, long Sent)> StreamChunkedFormAsync(int port, long total)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        var stream = client.GetStream();
        var head = $"POST /token HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);
        var reading = ReadStatusAsync(stream, timeout.Token);

        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'a');
        "grant_type=password&client_id=x&username=admin&password="u8.CopyTo(chunk);
        var frameHead = Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n");
        var frameTail = "\r\n"u8.ToArray();
        long sent = 0;
        try
        {
            while (sent < total && !reading.IsCompleted)
            {
                await stream.WriteAsync(frameHead, timeout.Token);
                await stream.WriteAsync(chunk, timeout.Token);
                await stream.WriteAsync(frameTail, timeout.Token);
                sent += chunk.Length;
            }
        }
        catch (IOException)
        {
            // The server closed the connection after answering.
        }

        return (await reading, sent);
    }

    private static async Task<int> ReadStatusAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                break;
            }

            length += read;
            var text = Encoding.ASCII.GetString(buffer, 0, length);
            var lineEnd = text.IndexOf("\r\n", StringComparison.Ordinal);
            if (lineEnd > 0)
            {
                return int.Parse(text.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new IOException("the connection closed without a status line");
    }

    /// <summary>A read-only body of <see cref="Length"/> bytes made as it is read: a prefix, then the letter a.</summary>
    private sealed class GeneratedBody(byte[] prefix, long length) : Stream
    {
        public long Produced { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => Produced;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, length - Produced);
            for (var i = 0; i < n; i++)
            {
                var at = Produced + i;
                buffer[i] = at < prefix.Length ? prefix[at] : (byte)'a';
            }

            Produced += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    public sealed class SharedSite : IAsyncLifetime
    {
        public Site Site { get; private set; } = default!;

        public async Task InitializeAsync() => Site = await Site.StartAsync();

        public async Task DisposeAsync() => await Site.DisposeAsync();
    }
}
