using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Berth.Registry.Storage;
using Microsoft.Extensions.Logging;

namespace Berth.Storage.S3;

/// <summary>
/// One object being written to S3, across requests and nodes. Bytes gather in one pooled buffer of a part's size; each
/// full buffer becomes the next part of a multipart upload created lazily, so an object that never fills a part is one
/// PutObject at commit. Suspending stores the buffered tail as an object of its own with a name never used before, so
/// a request that lost its claim (a zombie) cannot overwrite what a valid checkpoint names; the checkpoint lists the
/// parts, so parts sent past it are left out at completion. A zombie that re-sent a listed part number would change
/// the completed object: the store refuses that (S3 checks part ETags), and this writer checks the completed ETag too.
/// </summary>
internal sealed partial class S3Writer : IStorageWriter
{
    /// <summary>S3's limit on part numbers.</summary>
    private const int MaxParts = 10_000;

    /// <summary>The upload session row holds at most this much writer state.</summary>
    private const int MaxStateLength = 100_000;

    private readonly S3StorageDriver _driver;
    private readonly string _objectKey;
    private readonly string _writerDir;
    private readonly ILogger _logger;
    private readonly int _partSize;
    private readonly long _resumedAt;

    /// <summary>ETags of the parts sent, part i+1 at index i; binary MD5s while the store's ETags are MD5s.</summary>
    private readonly List<byte[]> _partMd5s = [];
    private List<string>? _partETags;
    private RunningMd5? _md5 = RunningMd5.Create();
    private string? _uploadId;
    private byte[]? _buffer;
    private int _buffered;
    private Task? _inFlight;
    private string? _resumedState;
    private bool _touchedWriterArea;
    private bool _broken;
    private bool _done;

    public S3Writer(S3StorageDriver driver, string objectKey, string writerDir, S3WriterState? state, ILogger logger)
    {
        _driver = driver;
        _objectKey = objectKey;
        _writerDir = writerDir;
        _logger = logger;
        _partSize = state?.PartSize ?? driver.PartSize;
        if (state is not null)
        {
            _uploadId = state.UploadId;
            _touchedWriterArea = true;
        }
    }

    private S3Writer(S3StorageDriver driver, string objectKey, string writerDir, S3WriterState state, long size, ILogger logger)
        : this(driver, objectKey, writerDir, state, logger)
    {
        _resumedAt = size;
        Size = size;
    }

    public long Size { get; private set; }

    private int PartCount => _partETags?.Count ?? _partMd5s.Count;

    /// <summary>The writer a checkpoint describes; null when its parts' upload or its tail is gone, or it does not add up.</summary>
    public static async Task<S3Writer?> ResumeAsync(S3StorageDriver driver, string objectKey, string writerDir, S3WriterState state, long size, ILogger logger, CancellationToken cancellationToken)
    {
        if (state.Version != S3WriterState.CurrentVersion || state.PartSize < S3StorageOptions.MinPartSize || state.PartSize % 64 != 0 ||
            state.TailSize < 0 || state.TailSize >= state.PartSize || (state.Tail is null) != (state.TailSize == 0))
        {
            return null;
        }

        var writer = new S3Writer(driver, objectKey, writerDir, state, size, logger);
        if (!writer.LoadParts(state) || (long)writer.PartCount * state.PartSize + state.TailSize != size || (writer.PartCount > 0 && state.UploadId is null))
        {
            return null;
        }

        // Deleted (or cancelled) meanwhile: the marker goes with the tails, so either missing means the data is gone.
        if (state.UploadId is { } uploadId && !await driver.ExistsAsync(writerDir + S3StorageDriver.UploadMarkerPrefix + Uri.EscapeDataString(uploadId), cancellationToken))
        {
            return null;
        }

        if (state.Tail is { } tail && !await writer.LoadTailAsync(writerDir + tail, state.TailSize, cancellationToken))
        {
            writer.ReturnBuffer();
            return null;
        }

        writer._resumedState = state.Serialize();
        return writer;
    }

    public async ValueTask WriteAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        ThrowIfBroken();
        foreach (var segment in data)
        {
            var remaining = segment;
            while (!remaining.IsEmpty)
            {
                var buffer = _buffer ??= ArrayPool<byte>.Shared.Rent(_partSize);
                var take = Math.Min(remaining.Length, _partSize - _buffered);
                remaining[..take].Span.CopyTo(buffer.AsSpan(_buffered));
                _buffered += take;
                Size += take;
                remaining = remaining[take..];
                if (_buffered == _partSize)
                {
                    try
                    {
                        await StartPartAsync(cancellationToken);
                    }
                    catch
                    {
                        // Its bytes are neither in a part nor in the buffer's accounting any more: only the last checkpoint holds.
                        _broken = true;
                        throw;
                    }
                }
            }
        }
    }

    public async Task<WriterCheckpoint> SuspendAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        ThrowIfBroken();
        await FinishPartInFlightAsync();
        _done = true;
        try
        {
            if (Size == 0)
            {
                return WriterCheckpoint.Empty;
            }

            if (Size == _resumedAt && _resumedState is { } unchanged)
            {
                // Nothing written since the resume: the same checkpoint, its tail kept as it is.
                return new WriterCheckpoint(Size, unchanged);
            }

            string? tail = null;
            if (_buffered > 0)
            {
                // Named by the size it ends at and a random part: unique, and older tails are recognisable by size.
                tail = string.Create(CultureInfo.InvariantCulture, $"{S3StorageDriver.TailPrefix}{Size}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");
                await PutAsync(_writerDir + tail, _buffer, _buffered, cancellationToken);
                _touchedWriterArea = true;
            }

            var state = new S3WriterState
            {
                PartSize = _partSize,
                UploadId = _uploadId,
                PartMd5s = _partETags is null && _partMd5s.Count > 0 ? Convert.ToBase64String(_partMd5s.SelectMany(m => m).ToArray()) : null,
                PartETags = _partETags,
                Tail = tail,
                TailSize = _buffered,
                Md5 = _md5?.Export(),
            }.Serialize();
            if (state.Length > MaxStateLength)
            {
                throw new IOException($"an upload of {Size} bytes in {PartCount} parts is too large to suspend (its S3 writer state exceeds {MaxStateLength} characters); send it in larger chunks");
            }

            await DeleteOlderTailsAsync(cancellationToken);
            return new WriterCheckpoint(Size, state);
        }
        finally
        {
            ReturnBuffer();
        }
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        ThrowIfBroken();
        await FinishPartInFlightAsync();
        _done = true;
        try
        {
            if (_uploadId is null)
            {
                // The fast path of most layers: one request.
                await PutAsync(_objectKey, _buffer, _buffered, cancellationToken);
            }
            else
            {
                await CompleteAsync(cancellationToken);
            }
        }
        finally
        {
            ReturnBuffer();
        }

        if (_touchedWriterArea)
        {
            await _driver.DeleteWritersUnderAsync(_writerDir, _uploadId, cancellationToken);
        }
    }

    public async Task CancelAsync(CancellationToken cancellationToken)
    {
        _done = true;
        await AbandonPartInFlightAsync();
        ReturnBuffer();
        if (_uploadId is { } uploadId)
        {
            await _driver.AbortAsync(_objectKey, uploadId, cancellationToken);
        }

        await _driver.DeleteWritersUnderAsync(_writerDir, _uploadId, cancellationToken);
        await _driver.Client.DeleteObjectAsync(_driver.Bucket, _objectKey, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        // Abandoned: the parts and tails it sent stay until the upload is resumed and committed, cancelled or deleted.
        _done = true;
        await AbandonPartInFlightAsync();
        ReturnBuffer();
    }

    private bool LoadParts(S3WriterState state)
    {
        if (state.PartETags is { } etags)
        {
            _partETags = [.. etags];
            _md5 = null;
            return state.PartMd5s is null;
        }

        if (state.PartMd5s is { } md5s)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(md5s);
            }
            catch (FormatException)
            {
                return false;
            }

            if (bytes.Length % 16 != 0)
            {
                return false;
            }

            for (var i = 0; i < bytes.Length; i += 16)
            {
                _partMd5s.Add(bytes[i..(i + 16)]);
            }
        }

        _md5 = RunningMd5.Import(state.Md5);
        if (_md5 is { } md5 && md5.Length != (long)PartCount * state.PartSize)
        {
            _md5 = null;
        }

        return true;
    }

    private async Task<bool> LoadTailAsync(string tailKey, long tailSize, CancellationToken cancellationToken)
    {
        GetObjectResponse response;
        try
        {
            response = await _driver.Client.GetObjectAsync(_driver.Bucket, tailKey, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        using (response)
        {
            if (response.ContentLength != tailSize)
            {
                return false;
            }

            var buffer = _buffer ??= ArrayPool<byte>.Shared.Rent(_partSize);
            await response.ResponseStream.ReadExactlyAsync(buffer.AsMemory(0, (int)tailSize), cancellationToken);
            _buffered = (int)tailSize;
            return true;
        }
    }

    /// <summary>
    /// Sends the full buffer as the next part while the next buffer fills. One part is in flight at a time, so a writer
    /// holds at most two parts of memory and parts are listed in order. The send is not tied to the request: a client
    /// that goes away mid-chunk still has what it sent recorded (the registry suspends the writer then).
    /// </summary>
    private async Task StartPartAsync(CancellationToken cancellationToken)
    {
        await FinishPartInFlightAsync();
        var (buffer, count) = (_buffer!, _buffered);
        _buffer = null;
        _buffered = 0;
        try
        {
            var md5 = await PreparePartAsync(buffer, count, last: false, cancellationToken);
            _inFlight = SendPartAsync(buffer, count, PartCount + 1, md5, returnBuffer: true);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Creates the multipart upload (and its marker) if needed, and hashes the part: its MD5, the running MD5.</summary>
    private async Task<byte[]> PreparePartAsync(byte[] buffer, int count, bool last, CancellationToken cancellationToken)
    {
        if (PartCount >= MaxParts)
        {
            throw new IOException($"an S3 object has at most {MaxParts} parts of {_partSize} bytes");
        }

        if (_uploadId is null)
        {
            var initiated = await _driver.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _driver.Bucket, Key = _objectKey }, cancellationToken);
            _uploadId = initiated.UploadId;
            await PutAsync(_writerDir + S3StorageDriver.UploadMarkerPrefix + Uri.EscapeDataString(_uploadId), null, 0, cancellationToken);
            _touchedWriterArea = true;
        }

        var data = buffer.AsSpan(0, count);
        if (!last && _md5 is { } running)
        {
            running.AppendBlocks(data);
            _md5 = running;
        }

        return MD5.HashData(data);
    }

    private async Task SendPartAsync(byte[] buffer, int count, int number, byte[] md5, bool returnBuffer)
    {
        try
        {
            using var body = new MemoryStream(buffer, 0, count, writable: false);
            var sent = await _driver.Client.UploadPartAsync(
                new UploadPartRequest
                {
                    BucketName = _driver.Bucket,
                    Key = _objectKey,
                    UploadId = _uploadId,
                    PartNumber = number,
                    InputStream = body,
                    PartSize = count,
                    MD5Digest = Convert.ToBase64String(md5),
                    UseChunkEncoding = false,
                    DisablePayloadSigning = !_driver.SignPayloads,
                },
                CancellationToken.None);

            var etag = Unquote(sent.ETag);
            if (_partETags is null && string.Equals(etag, Convert.ToHexStringLower(md5), StringComparison.OrdinalIgnoreCase))
            {
                _partMd5s.Add(md5);
            }
            else
            {
                // Not MD5 ETags (e.g. encrypted with KMS): kept as given, and the completed object cannot be checked.
                _partETags ??= [.. _partMd5s.Select(Convert.ToHexStringLower)];
                _partETags.Add(etag);
                _md5 = null;
            }
        }
        finally
        {
            if (returnBuffer)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Waits for the part in flight; if it failed, the writer is broken (only the last checkpoint holds).</summary>
    private async Task FinishPartInFlightAsync()
    {
        if (_inFlight is { } inFlight)
        {
            _inFlight = null;
            try
            {
                await inFlight;
            }
            catch
            {
                _broken = true;
                throw;
            }
        }
    }

    private async Task AbandonPartInFlightAsync()
    {
        try
        {
            await FinishPartInFlightAsync();
        }
        catch (Exception e) when (e is AmazonServiceException or IOException or HttpRequestException or OperationCanceledException)
        {
            LogAbandonedPartFailed(_logger, _objectKey, e.Message);
        }
    }

    private async Task CompleteAsync(CancellationToken cancellationToken)
    {
        byte[]? wholeMd5 = null;
        if (_buffered > 0)
        {
            wholeMd5 = _md5?.Finish(_buffer.AsSpan(0, _buffered));
            var md5 = await PreparePartAsync(_buffer!, _buffered, last: true, cancellationToken);
            await SendPartAsync(_buffer!, _buffered, PartCount + 1, md5, returnBuffer: false);
            _buffered = 0;
        }
        else
        {
            wholeMd5 = _md5?.Finish([]);
        }

        var etags = _partETags ?? [.. _partMd5s.Select(Convert.ToHexStringLower)];
        CompleteMultipartUploadResponse completed;
        try
        {
            completed = await _driver.Client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest
                {
                    BucketName = _driver.Bucket,
                    Key = _objectKey,
                    UploadId = _uploadId,
                    PartETags = etags.Select((etag, i) => new PartETag(i + 1, $"\"{etag}\"")).ToList(),
                },
                cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "InvalidPart")
        {
            // S3's own check: a listed part's ETag is not the one stored (a zombie re-sent that part number).
            throw new IOException($"the parts of {_objectKey} are not the ones its checkpoint lists: {e.Message}", e);
        }

        if (_partETags is null && wholeMd5 is not null)
        {
            // S3 reports MD5(part MD5s)-N, s3rver the whole object's MD5: either proves the parts are the ones listed.
            var etag = Unquote(completed.ETag);
            var multipart = Convert.ToHexStringLower(MD5.HashData(_partMd5s.SelectMany(m => m).ToArray())) + "-" + _partMd5s.Count.ToString(CultureInfo.InvariantCulture);
            var whole = Convert.ToHexStringLower(wholeMd5);
            if (!string.Equals(etag, multipart, StringComparison.OrdinalIgnoreCase) && !string.Equals(etag, whole, StringComparison.OrdinalIgnoreCase))
            {
                LogCompletedMismatch(_logger, _objectKey, etag, whole);
                await _driver.Client.DeleteObjectAsync(_driver.Bucket, _objectKey, CancellationToken.None);
                throw new IOException($"the completed object {_objectKey} is not the bytes written (ETag {etag}, expected {multipart} or {whole}): a part was overwritten after its checkpoint");
            }
        }
    }

    private async Task PutAsync(string objectKey, byte[]? buffer, int count, CancellationToken cancellationToken)
    {
        // A MemoryStream over the buffer, not a copy (the buffer is ours until the call returns).
        using var body = count == 0
            ? new MemoryStream([], writable: false)
            : new MemoryStream(buffer!, 0, count, writable: false);
        await _driver.Client.PutObjectAsync(
            new PutObjectRequest
            {
                BucketName = _driver.Bucket,
                Key = objectKey,
                InputStream = body,
                AutoCloseStream = false,
                MD5Digest = Convert.ToBase64String(MD5.HashData(buffer.AsSpan(0, count))),
                UseChunkEncoding = false,
                DisablePayloadSigning = !_driver.SignPayloads,
            },
            cancellationToken);
    }

    /// <summary>
    /// Tails of checkpoints older than the one this writer resumed from: no session can be resumed from them any more
    /// (an upload's recorded offset only grows), so they go now rather than at commit.
    /// </summary>
    private async Task DeleteOlderTailsAsync(CancellationToken cancellationToken)
    {
        if (_resumedAt == 0)
        {
            return;
        }

        var older = new List<string>();
        await foreach (var key in _driver.ListKeysAsync(_writerDir + S3StorageDriver.TailPrefix, cancellationToken))
        {
            var name = key.AsSpan(_writerDir.Length + S3StorageDriver.TailPrefix.Length);
            var dash = name.IndexOf('-');
            if (dash > 0 && long.TryParse(name[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size < _resumedAt)
            {
                older.Add(key);
            }
        }

        foreach (var key in older)
        {
            await _driver.Client.DeleteObjectAsync(_driver.Bucket, key, cancellationToken);
        }
    }

    private void ThrowIfBroken()
    {
        if (_broken)
        {
            throw new IOException($"a part of {_objectKey} could not be stored; resume from the last checkpoint");
        }
    }

    private void ReturnBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string Unquote(string? etag) => (etag ?? "").Trim('"');

    [LoggerMessage(Level = LogLevel.Debug, Message = "A part of abandoned writer {Key} failed: {Reason}")]
    private static partial void LogAbandonedPartFailed(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Completed S3 object {Key} has ETag {ETag}, not that of the parts written ({Expected}); deleted")]
    private static partial void LogCompletedMismatch(ILogger logger, string key, string etag, string expected);
}
