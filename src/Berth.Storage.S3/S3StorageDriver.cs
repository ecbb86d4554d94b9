using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Berth.Registry.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Storage.S3;

/// <summary>
/// Objects in an S3-compatible bucket. A writer is a multipart upload created at its first full part (a small object is
/// one PutObject); a suspended writer's buffered tail is an object of its own under the hidden <c>.writers/</c> area,
/// beside a marker naming its multipart upload, so any node can resume, list and delete unfinished writers with plain
/// object calls (no ListMultipartUploads, which not every S3-compatible store has). Moves are server-side copies.
/// </summary>
public sealed partial class S3StorageDriver : IStorageDriver, IDisposable
{
    /// <summary>Hidden area of unfinished writers: <c>.writers/KEY/.writer/NAME</c>.</summary>
    internal const string WritersArea = ".writers/";
    internal const string WriterDirName = "/.writer/";
    internal const string UploadMarkerPrefix = "mpu-";
    internal const string TailPrefix = "tail-";

    private const string CopySourceHeader = "x-amz-copy-source";
    private const long MaxCopyObjectSize = 5L * 1024 * 1024 * 1024;
    private const long CopyPartSize = 1024L * 1024 * 1024;

    private readonly AmazonS3Client _client;
    private readonly S3StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _https;

    public S3StorageDriver(S3StorageOptions options, TimeProvider? time = null, ILogger<S3StorageDriver>? logger = null)
    {
        if (string.IsNullOrWhiteSpace(options.Bucket))
        {
            throw new ArgumentException("an S3 bucket is required", nameof(options));
        }

        if (options.PartSize < S3StorageOptions.MinPartSize || options.PartSize % 64 != 0)
        {
            throw new ArgumentException($"part size must be at least {S3StorageOptions.MinPartSize} bytes and a multiple of 64", nameof(options));
        }

        if (options.Prefix.Length > 0 && (!options.Prefix.EndsWith('/') || options.Prefix.StartsWith('/')))
        {
            throw new ArgumentException("a key prefix must end with '/' and not start with one", nameof(options));
        }

        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<S3StorageDriver>.Instance;
        _https = options.Endpoint is null || options.Endpoint.Scheme == Uri.UriSchemeHttps;
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.PathStyle,
            // Checksums only where an operation requires them: many S3-compatible stores cannot read the aws-chunked
            // trailers the SDK would otherwise send, and parts carry Content-MD5 anyway.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 3,
            Timeout = TimeSpan.FromMinutes(5),
        };
        if (options.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }

        _client = new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
        _client.BeforeRequestEvent += KeepCopySourceSlashes;
    }

    internal AmazonS3Client Client => _client;

    internal string Bucket => _options.Bucket;

    internal int PartSize => _options.PartSize;

    /// <summary>Payloads are signed only where the transport does not protect them already (plain HTTP).</summary>
    internal bool SignPayloads => !_https;

    public async Task<long?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var objectKey = ObjectKey(key);
        try
        {
            var head = await _client.GetObjectMetadataAsync(_options.Bucket, objectKey, cancellationToken);
            return head.ContentLength;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<Stream?> OpenReadAsync(string key, long offset, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var request = new GetObjectRequest { BucketName = _options.Bucket, Key = ObjectKey(key) };
        if (offset > 0)
        {
            request.ByteRange = new ByteRange($"bytes={offset}-");
        }

        try
        {
            var response = await _client.GetObjectAsync(request, cancellationToken);
            return new ResponseStream(response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // A range starting at the end: S3 refuses it, the contract wants an empty stream.
            var size = await StatAsync(key, cancellationToken);
            return size is null ? null : size == offset ? new MemoryStream([], writable: false) : throw new ArgumentOutOfRangeException(nameof(offset), $"offset {offset} is past the object's {size} bytes");
        }
    }

    public async Task<IStorageWriter?> OpenWriterAsync(string key, WriterCheckpoint? resume, CancellationToken cancellationToken)
    {
        var objectKey = ObjectKey(key);
        if (resume is null || resume.Size == 0)
        {
            return new S3Writer(this, objectKey, WriterDir(key), null, _logger);
        }

        if (resume.State is not { } text || S3WriterState.Parse(text) is not { } state)
        {
            return null;
        }

        return await S3Writer.ResumeAsync(this, objectKey, WriterDir(key), state, resume.Size, _logger, cancellationToken);
    }

    public async Task MoveAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken)
    {
        var source = ObjectKey(sourceKey);
        var destination = ObjectKey(destinationKey);
        var head = await _client.GetObjectMetadataAsync(_options.Bucket, source, cancellationToken);
        if (head.ContentLength <= MaxCopyObjectSize)
        {
            await _client.CopyObjectAsync(
                new CopyObjectRequest { SourceBucket = _options.Bucket, SourceKey = source, DestinationBucket = _options.Bucket, DestinationKey = destination },
                cancellationToken);
        }
        else
        {
            await CopyInPartsAsync(source, destination, head.ContentLength, cancellationToken);
        }

        await _client.DeleteObjectAsync(_options.Bucket, source, cancellationToken);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var objectKey = ObjectKey(key);
        await _client.DeleteObjectAsync(_options.Bucket, objectKey, cancellationToken);
        await DeleteUnderAsync(objectKey + "/", cancellationToken);

        // Unfinished writers at the key or under it: their multipart uploads are aborted, their tails and markers go.
        await DeleteWritersUnderAsync(_options.Prefix + WritersArea + key + "/", exceptUploadId: null, cancellationToken);
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var objectPrefix = ObjectKey(prefix) + "/";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var objectKey in ListKeysAsync(objectPrefix, cancellationToken))
        {
            var key = objectKey[_options.Prefix.Length..];
            seen.Add(key);
            yield return key;
        }

        // Suspended writers are objects too (the registry's orphan purge finds their uploads this way).
        var writersPrefix = _options.Prefix + WritersArea;
        await foreach (var hidden in ListKeysAsync(writersPrefix + prefix + "/", cancellationToken))
        {
            var end = hidden.LastIndexOf(WriterDirName, StringComparison.Ordinal);
            if (end > writersPrefix.Length)
            {
                var key = hidden[writersPrefix.Length..end];
                if (seen.Add(key))
                {
                    yield return key;
                }
            }
        }
    }

    public async Task<DirectAccess?> GetDirectAccessAsync(string key, CancellationToken cancellationToken)
    {
        var objectKey = ObjectKey(key);
        if (!_options.Redirect)
        {
            return null;
        }

        var url = await _client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = _options.Bucket,
            Key = objectKey,
            Verb = HttpVerb.GET,
            Expires = _time.GetUtcNow().UtcDateTime + _options.RedirectLifetime,
            Protocol = _https ? Protocol.HTTPS : Protocol.HTTP,
        });
        return new DirectAccess(null, new Uri(url));
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Whether an object exists at a bucket-wide key.</summary>
    internal async Task<bool> ExistsAsync(string objectKey, CancellationToken cancellationToken)
    {
        try
        {
            await _client.GetObjectMetadataAsync(_options.Bucket, objectKey, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>Every object key (bucket-wide, prefix included) under <paramref name="prefix"/>.</summary>
    internal async IAsyncEnumerable<string> ListKeysAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = prefix, MaxKeys = 1000 };
        while (true)
        {
            var page = await _client.ListObjectsV2Async(request, cancellationToken);
            foreach (var entry in page.S3Objects ?? [])
            {
                yield return entry.Key;
            }

            if (page.IsTruncated != true || string.IsNullOrEmpty(page.NextContinuationToken))
            {
                yield break;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <summary>Deletes every object under a bucket-wide prefix, a thousand per request.</summary>
    internal async Task DeleteUnderAsync(string prefix, CancellationToken cancellationToken)
    {
        var batch = new List<string>(1000);
        await foreach (var key in ListKeysAsync(prefix, cancellationToken))
        {
            batch.Add(key);
            if (batch.Count == 1000)
            {
                await DeleteKeysAsync(batch, cancellationToken);
                batch.Clear();
            }
        }

        await DeleteKeysAsync(batch, cancellationToken);
    }

    /// <summary>
    /// Removes the unfinished-writer objects under a bucket-wide prefix of the hidden area, aborting the multipart
    /// uploads their markers name (except <paramref name="exceptUploadId"/>, one being completed).
    /// </summary>
    internal async Task DeleteWritersUnderAsync(string prefix, string? exceptUploadId, CancellationToken cancellationToken)
    {
        var hidden = new List<string>();
        await foreach (var key in ListKeysAsync(prefix, cancellationToken))
        {
            hidden.Add(key);
        }

        foreach (var key in hidden)
        {
            var slash = key.LastIndexOf('/');
            var name = key[(slash + 1)..];
            var dir = key[..(slash + 1)];
            if (name.StartsWith(UploadMarkerPrefix, StringComparison.Ordinal) && dir.EndsWith(WriterDirName, StringComparison.Ordinal))
            {
                var uploadId = Uri.UnescapeDataString(name[UploadMarkerPrefix.Length..]);
                if (uploadId != exceptUploadId)
                {
                    var objectKey = _options.Prefix + dir[(_options.Prefix.Length + WritersArea.Length)..^WriterDirName.Length];
                    await AbortAsync(objectKey, uploadId, cancellationToken);
                }
            }
        }

        for (var i = 0; i < hidden.Count; i += 1000)
        {
            await DeleteKeysAsync(hidden.GetRange(i, Math.Min(1000, hidden.Count - i)), cancellationToken);
        }
    }

    /// <summary>Aborts a multipart upload; a store that cannot (s3rver) or an upload already gone is not an error.</summary>
    internal async Task AbortAsync(string objectKey, string uploadId, CancellationToken cancellationToken)
    {
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = objectKey, UploadId = uploadId }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
        {
            LogAbortFailed(_logger, objectKey, uploadId, e.ErrorCode ?? e.StatusCode.ToString());
        }
    }

    private async Task DeleteKeysAsync(List<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return;
        }

        var response = await _client.DeleteObjectsAsync(
            new DeleteObjectsRequest { BucketName = _options.Bucket, Objects = keys.Select(k => new KeyVersion { Key = k }).ToList(), Quiet = true },
            cancellationToken);
        if (response.DeleteErrors is { Count: > 0 } errors)
        {
            throw new IOException($"could not delete {errors.Count} objects, e.g. '{errors[0].Key}': {errors[0].Code} {errors[0].Message}");
        }
    }

    private async Task CopyInPartsAsync(string source, string destination, long size, CancellationToken cancellationToken)
    {
        var upload = await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = destination }, cancellationToken);
        try
        {
            var parts = new List<PartETag>();
            for (long offset = 0, number = 1; offset < size; offset += CopyPartSize, number++)
            {
                var copied = await _client.CopyPartAsync(
                    new CopyPartRequest
                    {
                        SourceBucket = _options.Bucket,
                        SourceKey = source,
                        DestinationBucket = _options.Bucket,
                        DestinationKey = destination,
                        UploadId = upload.UploadId,
                        PartNumber = (int)number,
                        FirstByte = offset,
                        LastByte = Math.Min(offset + CopyPartSize, size) - 1,
                    },
                    cancellationToken);
                parts.Add(new PartETag((int)number, copied.ETag));
            }

            await _client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest { BucketName = _options.Bucket, Key = destination, UploadId = upload.UploadId, PartETags = parts },
                cancellationToken);
        }
        catch
        {
            await AbortAsync(destination, upload.UploadId, CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// The SDK escapes the '/' of <c>x-amz-copy-source</c> (bucket/key) as %2F; S3 takes either form, some compatible
    /// stores (s3rver) only the plain one. Runs before signing, so the signature covers the header as sent.
    /// </summary>
    private static void KeepCopySourceSlashes(object sender, RequestEventArgs e)
    {
        if (e is WebServiceRequestEventArgs { Headers: { } headers } && headers.TryGetValue(CopySourceHeader, out var source))
        {
            headers[CopySourceHeader] = source.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>The bucket key of a storage key; refuses keys that are not plain '/'-separated paths.</summary>
    internal string ObjectKey(string key)
    {
        ValidateKey(key);
        return _options.Prefix + key;
    }

    private string WriterDir(string key) => _options.Prefix + WritersArea + key + WriterDirName;

    private static void ValidateKey(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Contains('\0') || key.Contains('\\'))
        {
            throw new ArgumentException($"invalid storage key '{key}'", nameof(key));
        }

        foreach (var segment in key.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                throw new ArgumentException($"invalid storage key '{key}'", nameof(key));
            }
        }

        if (key.StartsWith(WritersArea, StringComparison.Ordinal) || key == WritersArea.TrimEnd('/'))
        {
            throw new ArgumentException($"storage key '{key}' is in the driver's hidden area", nameof(key));
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not abort multipart upload {UploadId} of {Key}: {Reason}")]
    private static partial void LogAbortFailed(ILogger logger, string key, string uploadId, string reason);

    /// <summary>A GET's body that releases the response (and its connection) when disposed.</summary>
    private sealed class ResponseStream(GetObjectResponse response) : Stream
    {
        private readonly Stream _inner = response.ResponseStream;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => response.ContentLength;

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => _inner.Read(buffer);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _inner.ReadAsync(buffer, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
