using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Berth.Server.Hosting;

/// <summary>
/// What the access log records of one request besides what the request itself says, and the response body it
/// counts: it stands in for the server's body feature and writer, passing everything on (Kestrel's writer stays
/// zero-copy). One object per logged request.
/// </summary>
internal sealed class AccessLogEntry(IHttpResponseBodyFeature inner) : PipeWriter, IHttpResponseBodyFeature
{
    private readonly PipeWriter _writer = inner.Writer;
    private Stream? _stream;

    /// <summary>The registry's route kind (<c>/v2</c> has no route templates), or null for the endpoint's template.</summary>
    public string? Route { get; set; }

    public string? Repository { get; set; }

    public string? User { get; set; }

    public long BytesIn { get; set; }

    public long BytesOut { get; private set; }

    public void AddBytesOut(long count) => BytesOut += count;

    Stream IHttpResponseBodyFeature.Stream => _stream ??= new CountingResponseStream(inner.Stream, this);

    PipeWriter IHttpResponseBodyFeature.Writer => this;

    void IHttpResponseBodyFeature.DisableBuffering() => inner.DisableBuffering();

    Task IHttpResponseBodyFeature.StartAsync(CancellationToken cancellationToken) => inner.StartAsync(cancellationToken);

    async Task IHttpResponseBodyFeature.SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        await inner.SendFileAsync(path, offset, count, cancellationToken);
        BytesOut += count ?? new FileInfo(path).Length - offset;
    }

    Task IHttpResponseBodyFeature.CompleteAsync() => inner.CompleteAsync();

    public override void Advance(int bytes)
    {
        BytesOut += bytes;
        _writer.Advance(bytes);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => _writer.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _writer.GetSpan(sizeHint);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => _writer.FlushAsync(cancellationToken);

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        BytesOut += source.Length;
        return _writer.WriteAsync(source, cancellationToken);
    }

    public override void CancelPendingFlush() => _writer.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => _writer.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _writer.CompleteAsync(exception);

    public override bool CanGetUnflushedBytes => _writer.CanGetUnflushedBytes;

    public override long UnflushedBytes => _writer.UnflushedBytes;
}
