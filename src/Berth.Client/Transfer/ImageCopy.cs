using System.Collections.Concurrent;
using Berth.Client.Registry;
using Berth.Oci;

namespace Berth.Client.Transfer;

/// <summary>
/// Copies an image (or an index and its images) from any source to any destination: blobs first, in parallel and
/// bounded, each skipped when already there; then manifests, children before the index that names them, so a reader
/// never sees a manifest whose content is missing. push, pull and copy are all this one operation.
/// </summary>
public static class ImageCopy
{
    public static async Task<CopyResult> CopyAsync(
        IImageSource source, IImageDestination destination, CopyOptions options, ITransferProgress progress, CancellationToken cancellationToken)
    {
        var run = new Run(source, destination, options, progress);
        var top = await source.GetManifestAsync(null, cancellationToken);
        var document = top.Parse();
        if (document.IsIndex && !(options.AllPlatforms && destination.AcceptsIndexes))
        {
            if (options.AllPlatforms)
            {
                throw new InvalidOperationException($"{destination.Name} holds a single image; choose one with --platform instead of --all-platforms");
            }

            var child = SelectPlatform(document, options.Platform ?? PlatformSpec.Host, source.Name);
            top = await source.GetManifestAsync(child.Digest, cancellationToken);
            document = top.Parse();
            if (document.IsIndex)
            {
                throw new InvalidOperationException($"{source.Name}: the {options.Platform} entry is itself an index; use --all-platforms");
            }
        }

        await run.CopyTreeAsync(top, document, isTop: true, cancellationToken);
        await destination.CommitAsync(cancellationToken);
        progress.ManifestWritten(top, destination.Tag);
        return new CopyResult(top, destination.Tag, run.Bytes, run.Transferred, run.Skipped, run.Mounted);
    }

    /// <summary>The index entry for <paramref name="platform"/>; the error lists what there is.</summary>
    public static Descriptor SelectPlatform(ManifestDocument index, PlatformSpec platform, string where)
    {
        var candidates = index.Manifests.Where(m => platform.Matches(m.Platform)).ToList();
        // Without a variant asked for, prefer the entry without one (or the first): linux/arm64 → v8.
        return candidates.FirstOrDefault(m => platform.Variant is not null || m.Platform?.Variant is null)
            ?? candidates.FirstOrDefault()
            ?? throw new InvalidOperationException(
                $"{where} has no image for {platform}; it has: " +
                string.Join(", ", index.Manifests.Select(m => m.Platform is { } p ? new PlatformSpec(p.Os, p.Architecture, p.Variant).ToString() : "(no platform)")));
    }

    private sealed class Run(IImageSource source, IImageDestination destination, CopyOptions options, ITransferProgress progress)
    {
        private readonly SemaphoreSlim _slots = new(Math.Max(1, options.Parallelism));
        private readonly ConcurrentDictionary<Digest, Lazy<Task>> _blobs = new();
        private long _bytes;
        private int _transferred, _skipped, _mounted;

        public long Bytes => Interlocked.Read(ref _bytes);

        public int Transferred => _transferred;

        public int Skipped => _skipped;

        public int Mounted => _mounted;

        public async Task CopyTreeAsync(ManifestBlob manifest, ManifestDocument document, bool isTop, CancellationToken cancellationToken)
        {
            if (document.IsIndex)
            {
                await Task.WhenAll(document.Manifests.Select(async child =>
                {
                    if (MediaTypes.IsManifest(child.MediaType))
                    {
                        var childManifest = await source.GetManifestAsync(child.Digest, cancellationToken);
                        await CopyTreeAsync(childManifest, childManifest.Parse(), isTop: false, cancellationToken);
                    }
                    else
                    {
                        await CopyBlobOnceAsync(child, cancellationToken);
                    }
                }));
            }
            else
            {
                var blobs = document.RequiredBlobs.ToList();
                progress.BlobsPlanned(blobs);
                await Task.WhenAll(blobs.Select(blob => CopyBlobOnceAsync(blob, cancellationToken)));
            }

            await destination.PutManifestAsync(manifest, isTop, cancellationToken);
        }

        /// <summary>A blob shared by several images of an index is copied once.</summary>
        private Task CopyBlobOnceAsync(Descriptor blob, CancellationToken cancellationToken) =>
            _blobs.GetOrAdd(blob.Digest, _ => new Lazy<Task>(() => CopyBlobAsync(blob, cancellationToken))).Value;

        private async Task CopyBlobAsync(Descriptor blob, CancellationToken cancellationToken)
        {
            await _slots.WaitAsync(cancellationToken);
            try
            {
                var reused = await destination.TryReuseBlobAsync(blob, source, cancellationToken);
                if (reused is { } outcome)
                {
                    if (outcome == BlobOutcome.Mounted)
                    {
                        Interlocked.Increment(ref _mounted);
                    }
                    else
                    {
                        Interlocked.Increment(ref _skipped);
                    }

                    progress.BlobFinished(blob, outcome);
                    return;
                }

                var counting = new CountingProgress(progress, this);
                await destination.PutBlobAsync(blob, source, counting, cancellationToken);
                Interlocked.Increment(ref _transferred);
                progress.BlobFinished(blob, BlobOutcome.Transferred);
            }
            finally
            {
                _slots.Release();
            }
        }

        private sealed class CountingProgress(ITransferProgress inner, Run run) : ITransferProgress
        {
            public void BlobsPlanned(IReadOnlyCollection<Descriptor> blobs) => inner.BlobsPlanned(blobs);

            public void BlobStarted(Descriptor blob, long alreadyDone) => inner.BlobStarted(blob, alreadyDone);

            public void BlobAdvanced(Descriptor blob, long bytes)
            {
                Interlocked.Add(ref run._bytes, bytes);
                inner.BlobAdvanced(blob, bytes);
            }

            public void BlobFinished(Descriptor blob, BlobOutcome outcome) => inner.BlobFinished(blob, outcome);

            public void Note(string message) => inner.Note(message);

            public void ManifestWritten(ManifestBlob manifest, string? tag) => inner.ManifestWritten(manifest, tag);
        }
    }
}
