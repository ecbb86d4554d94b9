using Berth.Data;
using Berth.Oci;
using Berth.Registry.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Berth.Mirror;

/// <summary>
/// One upstream fetch per digest across the nodes that share a database and storage: the fetching node holds a row
/// in <c>cluster_leases</c> (<c>mirror-fetch:…</c>), renewed while it streams and removed when it is done. Another node
/// wanting the same blob polls storage until the bytes are there; when the lease lapses (its holder died or stalled)
/// it takes the lease over and fetches itself. The wait is bounded.
/// </summary>
internal sealed partial class FetchLeases(IServiceScopeFactory scopes, IStorageDriver storage, MirrorSettings settings, TimeProvider time, ILogger<FetchLeases> logger)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    /// <summary>This process as a lease holder: host, process id, random (a restarted process is a new holder).</summary>
    private readonly string _node = ClusterLeaseRows.NewOwnerId();

    private DateTimeOffset Now => time.GetUtcNow();

    private TimeSpan LeaseDuration => settings.LeaseDuration;

    /// <summary>
    /// The lease for <paramref name="digest"/>, once this node holds it; or an empty one (nothing held) as soon as the
    /// blob is in storage, fetched by the node that held it.
    /// </summary>
    public async Task<Lease> AcquireAsync(Digest digest, string blobKey, long size, CancellationToken cancellationToken)
    {
        var name = $"mirror-fetch:{digest.AlgorithmName}:{digest.Encoded[..Math.Min(64, digest.Encoded.Length)]}";
        var deadline = time.GetUtcNow() + settings.FetchWait;
        var waited = false;
        while (true)
        {
            if (await TryHoldAsync(name, cancellationToken))
            {
                return new Lease(this, name);
            }

            if (!waited)
            {
                LogWaiting(logger, digest.ToString());
                waited = true;
            }

            if (await storage.StatAsync(blobKey, cancellationToken) == size)
            {
                return new Lease(null, name);
            }

            if (time.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"another node has been fetching {digest} for over {settings.FetchWait.TotalSeconds:0} s");
            }

            await Task.Delay(Poll, time, cancellationToken);
        }
    }

    private async Task<bool> TryHoldAsync(string name, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await ClusterLeaseRows.TryHoldAsync(
            scope.ServiceProvider.GetRequiredService<BerthDbContext>(), name, _node, time.GetUtcNow().UtcDateTime, settings.LeaseDuration, cancellationToken);
    }

    private async Task ReleaseAsync(string name)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await ClusterLeaseRows.ReleaseAsync(scope.ServiceProvider.GetRequiredService<BerthDbContext>(), name, _node, CancellationToken.None);
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
        {
            // It lapses by itself; the next fetch of the digest takes it over.
            LogReleaseFailed(logger, e, name);
        }
    }

    /// <summary>A held fetch lease (or none, when another node's fetch already stored the blob).</summary>
    public sealed class Lease(FetchLeases? owner, string name) : IAsyncDisposable
    {
        private DateTimeOffset _renewed = owner?.Now ?? default;

        /// <summary>Extends the lease when a third of it has passed since it was last taken or renewed.</summary>
        public async ValueTask RenewAsync(CancellationToken cancellationToken)
        {
            if (owner is null || owner.Now - _renewed < owner.LeaseDuration / 3)
            {
                return;
            }

            _renewed = owner.Now;
            if (!await owner.TryHoldAsync(name, cancellationToken))
            {
                throw new IOException($"lost the mirror fetch lease {name} to another node");
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (owner is not null)
            {
                await owner.ReleaseAsync(name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Another node is fetching {Digest}; waiting for it")]
    private static partial void LogWaiting(ILogger logger, string digest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not release the mirror fetch lease {Name}; it lapses by itself")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string name);
}
