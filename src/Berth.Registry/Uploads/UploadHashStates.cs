using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Berth.Registry.Uploads;

/// <summary>
/// The running SHA-256 of each upload this process is receiving, so consecutive chunks are hashed once,
/// as they stream. The state cannot be serialised, so after a restart (or when another node took chunks)
/// it no longer matches the stored size and is rebuilt by reading the stored bytes once.
/// Each entry also carries the lock that keeps two requests from writing one upload at once.
/// </summary>
public sealed class UploadHashStates
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    internal Entry Get(string uploadId) => _entries.GetOrAdd(uploadId, static _ => new Entry());

    internal void Remove(string uploadId)
    {
        if (_entries.TryRemove(uploadId, out var entry))
        {
            entry.Reset();
        }
    }

    internal sealed class Entry
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);

        /// <summary>The hash of the first <see cref="Offset"/> bytes of the upload, or null when unknown.</summary>
        public IncrementalHash? Sha256 { get; private set; }

        public long Offset { get; private set; }

        public void Set(IncrementalHash hash, long offset)
        {
            if (!ReferenceEquals(Sha256, hash))
            {
                Sha256?.Dispose();
            }

            Sha256 = hash;
            Offset = offset;
        }

        public void Reset()
        {
            Sha256?.Dispose();
            Sha256 = null;
            Offset = 0;
        }
    }
}
