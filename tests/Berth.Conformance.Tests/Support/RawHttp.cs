using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Berth.Testing;

namespace Berth.Conformance.Tests.Support;

/// <summary>A response read off a raw socket. <see cref="Status"/> is null when the server closed without answering.</summary>
public sealed record RawResponse(int? Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    public List<string> ErrorCodes => Check.ErrorCodes(Body);

    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;

    public override string ToString() => $"{Status?.ToString(CultureInfo.InvariantCulture) ?? "(no response)"} {BodyText[..Math.Min(BodyText.Length, 500)]}";
}

/// <summary>
/// HTTP/1.1 over a bare TcpClient, for what HttpClient will not send: request targets with dot segments or odd
/// escapes kept verbatim, and bodies shorter than their Content-Length.
/// </summary>
public static class RawHttp
{
    /// <param name="target">The request target exactly as it goes on the wire.</param>
    /// <param name="headers">Extra header lines, without CRLF.</param>
    /// <param name="body">Bytes sent after the head (may be shorter than a declared Content-Length).</param>
    /// <param name="declaredLength">Content-Length to declare; defaults to the body length (omitted for GET/HEAD with no body).</param>
    /// <param name="halfClose">Shut down the sending side after the body, as a client that dies mid-upload does.</param>
    public static async Task<RawResponse> SendAsync(
        int port,
        string method,
        string target,
        IEnumerable<string>? headers = null,
        byte[]? body = null,
        long? declaredLength = null,
        bool halfClose = false,
        TimeSpan? timeout = null)
    {
        var lines = (headers ?? []).ToList();
        var response = await SendOnceAsync(port, method, target, lines, body, declaredLength, halfClose, timeout);
        if (response.Status != 401 || !Authenticators.TryGetValue(port, out var authenticator) || response.Header("www-authenticate") is not { } header
            || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return response;
        }

        // Token auth: the same request again with a token for exactly the challenged scope, as clients do.
        var parameters = TokenAuthHandler.ParseParameters(header[7..]);
        var scopes = parameters.TryGetValue("scope", out var scope) ? scope.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        var token = authenticator.TryGetCached(scopes, out var cached)
            ? cached
            : await authenticator.FetchAsync(new BearerChallenge(parameters["realm"], parameters.GetValueOrDefault("service"), scopes), CancellationToken.None);
        return token is null
            ? response
            : await SendOnceAsync(port, method, target, [.. lines, $"Authorization: Bearer {token}"], body, declaredLength, halfClose, timeout);
    }

    /// <summary>
    /// Registries on these ports use token auth: a 401 with a Bearer challenge is answered by fetching a token
    /// and sending the request once more (the fixture registers its authenticator here).
    /// </summary>
    public static ConcurrentDictionary<int, TokenAuthenticator> Authenticators { get; } = new();

    private static async Task<RawResponse> SendOnceAsync(
        int port,
        string method,
        string target,
        IEnumerable<string>? headers,
        byte[]? body,
        long? declaredLength,
        bool halfClose,
        TimeSpan? timeout)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        var stream = client.GetStream();

        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"{method} {target} HTTP/1.1\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Host: 127.0.0.1:{port}\r\n");
        head.Append("Connection: close\r\n");
        foreach (var line in headers ?? [])
        {
            head.Append(line).Append("\r\n");
        }

        var length = declaredLength ?? body?.LongLength;
        if (length is not null && (length > 0 || method is "POST" or "PUT" or "PATCH"))
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Length: {length}\r\n");
        }

        head.Append("\r\n");
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cts.Token);
            if (body is { Length: > 0 })
            {
                await stream.WriteAsync(body, cts.Token);
            }

            await stream.FlushAsync(cts.Token);
            if (halfClose)
            {
                client.Client.Shutdown(SocketShutdown.Send);
            }
        }
        catch (IOException)
        {
            // The server may close early (e.g. rejecting the request line); read whatever it answered.
        }

        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0)
                {
                    break;
                }

                received.Write(buffer, 0, n);
                if (TryComplete(received.ToArray(), out _))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }

        return Parse(received.ToArray());
    }

    private static bool TryComplete(byte[] data, out int headEnd)
    {
        headEnd = IndexOf(data, "\r\n\r\n"u8);
        if (headEnd < 0)
        {
            return false;
        }

        var response = Parse(data);
        var lengthHeader = response.Header("content-length");
        if (lengthHeader is not null)
        {
            return data.Length - (headEnd + 4) >= long.Parse(lengthHeader, CultureInfo.InvariantCulture);
        }

        if (string.Equals(response.Header("transfer-encoding"), "chunked", StringComparison.OrdinalIgnoreCase))
        {
            return IndexOf(data.AsSpan(headEnd + 4), "0\r\n\r\n"u8) >= 0;
        }

        // 1xx/204/304 have no body; anything else without a length ends at close.
        return response.Status is 204 or 304;
    }

    private static RawResponse Parse(byte[] data)
    {
        var headEnd = IndexOf(data, "\r\n\r\n"u8);
        if (headEnd < 0)
        {
            return new RawResponse(null, new Dictionary<string, string>(), data);
        }

        var lines = Encoding.ASCII.GetString(data, 0, headEnd).Split("\r\n");
        var statusParts = lines[0].Split(' ', 3);
        int? status = statusParts.Length >= 2 && int.TryParse(statusParts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
        var headers = new Dictionary<string, string>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                var name = line[..colon].Trim().ToLowerInvariant();
                var value = line[(colon + 1)..].Trim();
                headers[name] = headers.TryGetValue(name, out var existing) ? existing + "," + value : value;
            }
        }

        var body = data[(headEnd + 4)..];
        if (headers.TryGetValue("transfer-encoding", out var te) && te.Equals("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }
        else if (headers.TryGetValue("content-length", out var cl) && long.TryParse(cl, CultureInfo.InvariantCulture, out var len) && len < body.Length)
        {
            body = body[..(int)len];
        }

        return new RawResponse(status, headers, body);
    }

    private static byte[] Dechunk(byte[] body)
    {
        var output = new MemoryStream();
        var pos = 0;
        while (pos < body.Length)
        {
            var lineEnd = IndexOf(body.AsSpan(pos), "\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }

            var sizeText = Encoding.ASCII.GetString(body, pos, lineEnd).Split(';')[0].Trim();
            if (!int.TryParse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size) || size == 0)
            {
                break;
            }

            pos += lineEnd + 2;
            output.Write(body, pos, Math.Min(size, body.Length - pos));
            pos += size + 2;
        }

        return output.ToArray();
    }

    private static int IndexOf(ReadOnlySpan<byte> data, ReadOnlySpan<byte> pattern) => data.IndexOf(pattern);
}
