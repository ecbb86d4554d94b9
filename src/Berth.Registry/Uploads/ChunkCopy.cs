using System.IO.Pipelines;
using Berth.Registry.Storage;

namespace Berth.Registry.Uploads;

/// <summary>How a chunk's copy ended: bytes stored (and hashed), and why it stopped early, if it did.</summary>
internal readonly record struct CopyOutcome(long Written, string? StoppedBecause);

/// <summary>The upload hot path: request body pipe → SHA-256 → vectored write, in large batches.</summary>
internal static class ChunkCopy
{
    // Bytes gathered from the request before they are hashed and written in one go. Must stay below
    // Kestrel's MaxRequestBufferSize (1 MiB), or the connection pauses while we wait for more.
    private const int WriteBatchBytes = 256 * 1024;

    /// <summary>
    /// Copies the body to <paramref name="writer"/>, hashing what is written. Every byte counted in the outcome was both
    /// hashed and written, so the hash state and the writer agree even when the client goes away mid-body. A write that
    /// fails throws (the hash may then be ahead of the stored bytes: the caller keeps neither).
    /// <paramref name="keepClaim"/> is asked before each batch; false means the request no longer owns the upload.
    /// </summary>
    public static async Task<CopyOutcome> CopyAsync(PipeReader body, IStorageWriter writer, ResumableSha256? hash, Func<CancellationToken, ValueTask<bool>>? keepClaim, CancellationToken cancellationToken)
    {
        long total = 0;

        // Cancelled by asking the pipe to end the pending read (it returns IsCanceled), not by the read's own token:
        // Kestrel's body reader stays "reading" after a read its token cancelled, and then refuses to drain the rest
        // of the body once the answer is written ("Reading is already in progress"), cutting the connection.
        await using var stop = cancellationToken.Register(body.CancelPendingRead);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await body.ReadAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                // Kestrel's BadHttpRequestException (body shorter than declared) is an IOException too.
                return new CopyOutcome(total, e.Message);
            }

            var buffer = result.Buffer;
            // Kestrel cancels pending reads itself when a shutdown asks its connections to close: that one reads on.
            if (result.IsCanceled && cancellationToken.IsCancellationRequested)
            {
                body.AdvanceTo(buffer.Start);
                return new CopyOutcome(total, "the request was cancelled");
            }
            if (buffer.Length < WriteBatchBytes && !result.IsCompleted)
            {
                // Let more bytes gather in the pipe: fewer, larger writes.
                body.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            bool stillOurs;
            try
            {
                stillOurs = keepClaim is null || await keepClaim(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The client went away (or the server is stopping) between two batches: what was stored is recorded.
                body.AdvanceTo(buffer.Start);
                return new CopyOutcome(total, "the request was cancelled");
            }

            if (!stillOurs)
            {
                body.AdvanceTo(buffer.Start);
                return new CopyOutcome(total, "another request took the upload over");
            }

            try
            {
                if (hash is not null)
                {
                    foreach (var segment in buffer)
                    {
                        hash.Append(segment.Span);
                    }
                }

                // Once hashed, a batch is stored whole whatever happens to the request: a write cancelled half-way
                // would leave the hash ahead of the stored bytes and lose every byte of the chunk, not just this batch.
                await writer.WriteAsync(buffer, CancellationToken.None);
            }
            catch
            {
                // The read must end before the exception leaves: the error answer is written and Kestrel then drains
                // the rest of the body, which a read still in progress refuses ("Reading is already in progress"),
                // cutting the connection without the answer.
                body.AdvanceTo(buffer.End);
                throw;
            }

            total += buffer.Length;
            body.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                return new CopyOutcome(total, null);
            }
        }
    }
}
