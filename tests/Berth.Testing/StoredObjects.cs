using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Berth.Testing;

/// <summary>One stored object: its storage key (as the registry names it, e.g. <c>uploads/ID</c>) and its size.</summary>
public sealed record StoredObject(string Key, long Size);

/// <summary>
/// What the Berth servers on one data directory stored, read behind their API, whichever storage <see cref="TestStorage"/>
/// gave them: files under <c>DATA/storage</c>, or objects under the directory's key prefix in the shared s3rver bucket
/// (read through the S3 API). Tests assert on storage keys, so one assertion holds on both.
/// </summary>
public sealed class StoredObjects
{
    /// <summary>The S3 driver's hidden area of unfinished writers (a suspended upload's tail and marker live there).</summary>
    private const string WritersArea = ".writers/";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static AmazonS3Client? _client;

    private readonly string _dataDir;

    private StoredObjects(string dataDir) => _dataDir = dataDir;

    /// <summary>The storage of the servers whose data directory is <paramref name="dataDir"/>.</summary>
    public static StoredObjects Of(string dataDir) => new(dataDir);

    /// <summary>The storage of <paramref name="server"/> (started on its own data directory).</summary>
    public static StoredObjects Of(RegistryServer server) => new(server.DataDir);

    private string Root => Path.Combine(_dataDir, "storage");

    /// <summary>
    /// The object at <paramref name="prefix"/> (a key, or "" for all) and every object stored under it, unfinished writers
    /// included: on S3 a suspended writer of key K is kept under <c>.writers/K/</c> and listed with that key in front.
    /// </summary>
    public async Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var found = new List<StoredObject>();
        if (prefix.Length > 0 && await SizeAsync(prefix.TrimEnd('/'), cancellationToken) is { } atKey)
        {
            found.Add(new StoredObject(prefix.TrimEnd('/'), atKey));
        }

        if (!TestStorage.S3Enabled)
        {
            var dir = prefix.Length == 0 ? Root : Path.Combine(Root, prefix);
            if (Directory.Exists(dir))
            {
                found.AddRange(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                    .Select(f => new StoredObject(Path.GetRelativePath(Root, f).Replace('\\', '/'), new FileInfo(f).Length)));
            }

            return found;
        }

        var under = prefix.Length == 0 ? "" : prefix.TrimEnd('/') + "/";
        var bucketPrefix = TestStorage.PrefixFor(_dataDir);
        foreach (var area in prefix.Length == 0 ? [""] : new[] { "", WritersArea })
        {
            await foreach (var (key, size) in ListBucketAsync(bucketPrefix + area + under, cancellationToken))
            {
                found.Add(new StoredObject(key[bucketPrefix.Length..], size));
            }
        }

        return found;
    }

    /// <summary>The size of the object at <paramref name="key"/>; null when there is none.</summary>
    public async Task<long?> SizeAsync(string key, CancellationToken cancellationToken = default)
    {
        if (!TestStorage.S3Enabled)
        {
            var file = new FileInfo(Path.Combine(Root, key));
            return file.Exists ? file.Length : null;
        }

        var client = await ClientAsync(cancellationToken);
        try
        {
            var head = await client.GetObjectMetadataAsync((await TestStorage.SharedS3rverAsync(cancellationToken)).Bucket, TestStorage.PrefixFor(_dataDir) + key, cancellationToken);
            return head.ContentLength;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Stores <paramref name="content"/> at <paramref name="key"/> behind the servers' back.</summary>
    public async Task WriteAsync(string key, byte[] content, CancellationToken cancellationToken = default)
    {
        if (!TestStorage.S3Enabled)
        {
            var file = Path.Combine(Root, key);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllBytesAsync(file, content, cancellationToken);
            return;
        }

        var client = await ClientAsync(cancellationToken);
        using var body = new MemoryStream(content, writable: false);
        await client.PutObjectAsync(
            new PutObjectRequest
            {
                BucketName = (await TestStorage.SharedS3rverAsync(cancellationToken)).Bucket,
                Key = TestStorage.PrefixFor(_dataDir) + key,
                InputStream = body,
                UseChunkEncoding = false,
            },
            cancellationToken);
    }

    private static async IAsyncEnumerable<(string Key, long Size)> ListBucketAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var client = await ClientAsync(cancellationToken);
        var request = new ListObjectsV2Request { BucketName = (await TestStorage.SharedS3rverAsync(cancellationToken)).Bucket, Prefix = prefix, MaxKeys = 1000 };

        // Bounded: a test's prefix never holds a million objects.
        for (var page = 0; page < 1000; page++)
        {
            var response = await client.ListObjectsV2Async(request, cancellationToken);
            foreach (var entry in response.S3Objects ?? [])
            {
                yield return (entry.Key, entry.Size ?? 0);
            }

            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken))
            {
                yield break;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }

        throw new InvalidOperationException($"more than a million objects under {prefix}");
    }

    private static async Task<AmazonS3Client> ClientAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _client) is { } client)
        {
            return client;
        }

        var s3 = await TestStorage.SharedS3rverAsync(cancellationToken);
        await Gate.WaitAsync(cancellationToken);
        try
        {
            // Plain HTTP to loopback; checksums only where required, as the driver does (s3rver reads no aws-chunked trailers).
            _client ??= new AmazonS3Client(
                new BasicAWSCredentials(S3rver.AccessKey, S3rver.SecretKey),
                new AmazonS3Config
                {
                    ServiceURL = s3.Endpoint.ToString(),
                    AuthenticationRegion = S3rver.Region,
                    ForcePathStyle = true,
                    RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
                    ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
                });
            return _client;
        }
        finally
        {
            Gate.Release();
        }
    }
}
