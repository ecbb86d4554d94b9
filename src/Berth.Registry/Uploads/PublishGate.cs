namespace Berth.Registry.Uploads;

/// <summary>
/// One publish at a time per content address within this process. Uploads of the same bytes racing to completion (one
/// layer pushed into many repositories at once) then copy them to their address once and the others find them there,
/// instead of overwriting one object many times: wasted server-side copies on S3, and stores whose overwrite is not
/// atomic (s3rver removes the target before copying) fail all but one of the racers or briefly lose the blob to readers.
/// </summary>
internal sealed class PublishGate
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Waits for <paramref name="key"/>; dispose the result to let the next waiter in.</summary>
    public async Task<IDisposable> EnterAsync(string key, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry();
                _entries.Add(key, entry);
            }

            entry.Users++;
        }

        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken);
        }
        catch
        {
            Leave(key, entry, entered: false);
            throw;
        }

        return new Lease(this, key, entry);
    }

    private void Leave(string key, Entry entry, bool entered)
    {
        if (entered)
        {
            entry.Semaphore.Release();
        }

        lock (_entries)
        {
            // The last user removes the entry, so the map holds only addresses being published now.
            if (--entry.Users == 0)
            {
                _entries.Remove(key);
                entry.Semaphore.Dispose();
            }
        }
    }

    private sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int Users { get; set; }
    }

    private sealed class Lease(PublishGate gate, string key, Entry entry) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                gate.Leave(key, entry, entered: true);
            }
        }
    }
}
