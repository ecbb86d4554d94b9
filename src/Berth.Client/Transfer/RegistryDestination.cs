using Berth.Client.Content;
using Berth.Client.Http;
using Berth.Client.References;
using Berth.Client.Registry;
using Berth.Oci;

namespace Berth.Client.Transfer;

/// <summary>
/// Pushes into a registry repository. A blob the repository has is skipped (HEAD); one in another repository of the
/// same registry is mounted; a small one goes in two requests (POST, PUT with the bytes); a large one is streamed in
/// one PATCH and, when the connection drops or the process dies, continued from the offset the registry reports.
/// </summary>
public sealed class RegistryDestination(
    IRegistryClient client, ImageReference reference, RetryPolicy retry, UploadJournal? journal = null) : IImageDestination
{
    /// <summary>Blobs up to this size are sent in one PUT: fewer round trips matter more than resuming them.</summary>
    public const long MonolithicLimit = 4 * 1024 * 1024;

    private readonly SemaphoreSlim _singlePostProbe = new(1, 1);

    // Whether the registry stores a blob sent in one POST: 0 not known yet, 1 yes, -1 no (it answers 202 and a session).
    private int _singlePost;

    public string Name => reference.ToString();

    public bool AcceptsIndexes => true;

    public string? Tag => reference.TagOrDefault;

    public async Task<BlobOutcome?> TryReuseBlobAsync(Descriptor blob, IImageSource source, CancellationToken cancellationToken)
    {
        if (await client.BlobSizeAsync(reference.Repository, blob.Digest, cancellationToken) is not null)
        {
            return BlobOutcome.Exists;
        }

        if (source.Repository is { } from && string.Equals(from.Registry, reference.Registry, StringComparison.OrdinalIgnoreCase) &&
            from.Repository != reference.Repository &&
            await client.TryMountBlobAsync(reference.Repository, blob.Digest, from.Repository, cancellationToken))
        {
            return BlobOutcome.Mounted;
        }

        return null;
    }

    public async Task PutBlobAsync(Descriptor blob, IImageSource source, ITransferProgress progress, CancellationToken cancellationToken)
    {
        var repository = reference.Repository;
        var digest = blob.Digest.ToString();
        Uri? location = null;
        long offset = 0;
        if (journal?.Find(reference.Registry, repository, digest) is { } remembered &&
            await TryOffsetAsync(remembered, cancellationToken) is { } stored && stored <= blob.Size)
        {
            location = remembered;
            offset = stored;
            progress.Note($"{HashingDownload.Short(blob.Digest)}: resuming upload at {offset} of {blob.Size} bytes");
        }

        progress.BlobStarted(blob, offset);
        long? refusedAt = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (location is null && offset == 0 && blob.Size <= MonolithicLimit && _singlePost >= 0)
                {
                    var (posted, session) = await TrySinglePostAsync(blob, source, progress, cancellationToken);
                    if (posted)
                    {
                        return;
                    }

                    location = session;
                }

                if (location is null)
                {
                    location = await client.StartUploadAsync(repository, cancellationToken);
                    offset = 0;
                    if (blob.Size > MonolithicLimit)
                    {
                        journal?.Remember(reference.Registry, repository, digest, location);
                    }
                }

                if (offset == 0 && blob.Size <= MonolithicLimit)
                {
                    await using var body = new ProgressStream(await source.OpenBlobAsync(blob, 0, cancellationToken), blob, progress);
                    await client.CompleteUploadAsync(repository, location, blob.Digest, body, blob.Size, cancellationToken);
                }
                else
                {
                    if (offset < blob.Size)
                    {
                        await using var body = new ProgressStream(await source.OpenBlobAsync(blob, offset, cancellationToken), blob, progress);
                        location = await client.UploadChunkAsync(repository, location, body, offset, blob.Size - offset, cancellationToken);
                        offset = blob.Size;
                    }

                    await client.CompleteUploadAsync(repository, location, blob.Digest, null, 0, cancellationToken);
                }

                journal?.Forget(reference.Registry, repository, digest);
                return;
            }
            catch (Exception e) when (attempt < retry.MaxAttempts && IsRetryable(e) && !cancellationToken.IsCancellationRequested)
            {
                var delay = retry.Delay(attempt, null);
                await Task.Delay(delay, retry.Time, cancellationToken);
                // Ask the registry where the session stands; a session it forgot starts over.
                var reported = location is null ? null : await TryOffsetAsync(location, cancellationToken);
                // A 416 means the registry holds a different amount than we thought (a write of a killed or dropped
                // request may have landed since we asked): follow what it reports now; start over only if it repeats itself.
                var refusedAgain = e is RegistryException { Status: System.Net.HttpStatusCode.RequestedRangeNotSatisfiable } && refusedAt == reported;
                refusedAt = e is RegistryException { Status: System.Net.HttpStatusCode.RequestedRangeNotSatisfiable } ? reported : null;
                if (reported is null || reported > blob.Size || blob.Size <= MonolithicLimit || refusedAgain)
                {
                    location = null;
                    offset = 0;
                }
                else
                {
                    offset = reported.Value;
                }

                progress.Note($"{HashingDownload.Short(blob.Digest)}: {e.Message}; continuing at {offset} of {blob.Size} bytes");
                progress.BlobStarted(blob, offset);
            }
        }
    }

    public async Task PutManifestAsync(ManifestBlob manifest, bool isTop, CancellationToken cancellationToken)
    {
        var target = isTop && reference.TagOrDefault is { } tag ? tag : manifest.Digest.ToString();
        await client.PutManifestAsync(reference.Repository, target, manifest, cancellationToken);
    }

    public Task CommitAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// One request per small blob where the registry allows it (Berth does; Distribution 2.8.2 answers 202 and a session).
    /// The first upload finds out while the others wait, so at most one body is sent in vain.
    /// </summary>
    private async Task<(bool Stored, Uri? Session)> TrySinglePostAsync(
        Descriptor blob, IImageSource source, ITransferProgress progress, CancellationToken cancellationToken)
    {
        var holding = false;
        if (Volatile.Read(ref _singlePost) == 0)
        {
            await _singlePostProbe.WaitAsync(cancellationToken);
            holding = Volatile.Read(ref _singlePost) == 0;
            if (!holding)
            {
                _singlePostProbe.Release();
            }
        }

        try
        {
            if (Volatile.Read(ref _singlePost) < 0)
            {
                return (false, null);
            }

            // While probing, progress is told only once the bytes are known to have landed (they may go nowhere).
            var raw = await source.OpenBlobAsync(blob, 0, cancellationToken);
            await using var body = holding ? raw : new ProgressStream(raw, blob, progress);
            Uri? session;
            try
            {
                session = await client.PostBlobAsync(reference.Repository, blob.Digest, body, blob.Size, cancellationToken);
            }
            catch (RegistryException e) when (holding && e.Kind is RegistryErrorKind.Unsupported or RegistryErrorKind.Invalid)
            {
                // A registry that refuses the form: sessions only from now on.
                Volatile.Write(ref _singlePost, -1);
                return (false, null);
            }
            catch (RegistryException e) when (holding && e.Kind == RegistryErrorKind.Network)
            {
                // One that drops the connection on a body it does not read: the retry goes through a session.
                Volatile.Write(ref _singlePost, -1);
                throw;
            }

            Volatile.Write(ref _singlePost, session is null ? 1 : -1);
            if (holding && session is null)
            {
                progress.BlobAdvanced(blob, blob.Size);
            }

            return (session is null, session);
        }
        finally
        {
            if (holding)
            {
                _singlePostProbe.Release();
            }
        }
    }

    private async Task<long?> TryOffsetAsync(Uri location, CancellationToken cancellationToken)
    {
        try
        {
            return await client.UploadOffsetAsync(reference.Repository, location, cancellationToken);
        }
        catch (RegistryException)
        {
            return null;
        }
    }

    /// <summary>A dropped connection, a busy registry, or a chunk the registry placed differently (416): worth resuming.</summary>
    private static bool IsRetryable(Exception e) => e switch
    {
        RegistryException { Status: System.Net.HttpStatusCode.RequestedRangeNotSatisfiable } => true,
        RegistryException { Code: "BLOB_UPLOAD_INVALID" or "BLOB_UPLOAD_UNKNOWN" } => true,
        _ => HashingDownload.IsTransient(e),
    };
}
