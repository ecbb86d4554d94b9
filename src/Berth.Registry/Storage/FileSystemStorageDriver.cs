using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;

namespace Berth.Registry.Storage;

/// <summary>
/// Objects as files under one root directory. Writes go straight to the file (the registry writes to an
/// upload key and moves it into place once verified), moves are atomic renames, reads can be served
/// zero-copy with sendfile.
/// </summary>
public sealed class FileSystemStorageDriver : IStorageDriver
{
    private readonly string _root;

    public FileSystemStorageDriver(string root)
    {
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        Directory.CreateDirectory(_root);
    }

    public Task<long?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var info = new FileInfo(FullPath(key));
        return Task.FromResult<long?>(info.Exists ? info.Length : null);
    }

    public Task<Stream?> OpenReadAsync(string key, long offset, CancellationToken cancellationToken)
    {
        try
        {
            var stream = new FileStream(FullPath(key), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            stream.Seek(offset, SeekOrigin.Begin);
            return Task.FromResult<Stream?>(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException || (e is UnauthorizedAccessException && Directory.Exists(FullPath(key))))
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task<IStorageWriter?> OpenWriterAsync(string key, WriterCheckpoint? resume, CancellationToken cancellationToken)
    {
        var path = FullPath(key);
        if (resume is null || resume.Size == 0)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            SafeFileHandle created;
            try
            {
                created = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete);
            }
            catch (UnauthorizedAccessException) when (Directory.Exists(path))
            {
                // A folder where the object goes (an upload begun under the earlier layout, with nothing written yet):
                // looked for only when the open fails, so a new upload costs no extra system call.
                Directory.Delete(path, recursive: true);
                created = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete);
            }

            return Task.FromResult<IStorageWriter?>(new FileWriter(path, created, 0));
        }

        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.Read | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException || (e is UnauthorizedAccessException && Directory.Exists(path)))
        {
            // Nothing there to resume, or a folder: an upload begun under the earlier layout (its bytes are not at the key).
            return Task.FromResult<IStorageWriter?>(null);
        }

        if (RandomAccess.GetLength(handle) < resume.Size)
        {
            handle.Dispose();
            return Task.FromResult<IStorageWriter?>(null);
        }

        // The file is the checkpoint's bytes plus, perhaps, what a request that never got to suspend wrote after them.
        RandomAccess.SetLength(handle, resume.Size);
        return Task.FromResult<IStorageWriter?>(new FileWriter(path, handle, resume.Size));
    }

    public Task MoveAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken)
    {
        var destination = FullPath(destinationKey);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.Move(FullPath(sourceKey), destination, overwrite: true);
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = FullPath(key);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
        else if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }

        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = FullPath(prefix);
        if (!Directory.Exists(path))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
        }

        await Task.CompletedTask;
    }

    public Task<DirectAccess?> GetDirectAccessAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult<DirectAccess?>(new DirectAccess(FullPath(key), null));

    /// <summary>Maps a key to a path under the root, refusing anything that would land outside it.</summary>
    internal string FullPath(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Contains('\0') || key.Contains('\\') || Path.IsPathRooted(key))
        {
            throw new ArgumentException($"invalid storage key '{key}'", nameof(key));
        }

        // Trimmed, so that "./" or "a/../" (the root itself, with a trailing slash) cannot pass for an object under it.
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.Combine(_root, key)));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"storage key '{key}' escapes the storage root", nameof(key));
        }

        return full;
    }

    private sealed class FileWriter(string path, SafeFileHandle handle, long size) : IStorageWriter
    {
        private readonly List<ReadOnlyMemory<byte>> _segments = new(capacity: 128);
        private bool _done;

        // Where the bytes not yet handed to the kernel's writeback begin (Writeback: the commit's sync then waits less).
        private long _writebackFrom = size;

        public long Size { get; private set; } = size;

        public ValueTask WriteAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // Synchronous on purpose: a buffered write to a local file lands in the page cache, and its "async"
            // form on Unix is the same blocking call moved to another thread, one hop per batch.
            if (data.IsSingleSegment)
            {
                RandomAccess.Write(handle, data.FirstSpan, Size);
            }
            else
            {
                // One vectored write (pwritev) for all segments: no copy, one system call.
                _segments.Clear();
                foreach (var segment in data)
                {
                    _segments.Add(segment);
                }

                try
                {
                    RandomAccess.Write(handle, _segments, Size);
                }
                finally
                {
                    _segments.Clear(); // hold no reference to the caller's buffers
                }
            }

            Size += data.Length;
            if (Size - _writebackFrom >= Writeback.Interval)
            {
                Writeback.Start(handle, _writebackFrom, Size - _writebackFrom);
                _writebackFrom = Size;
            }

            return ValueTask.CompletedTask;
        }

        public Task<WriterCheckpoint> SuspendAsync(CancellationToken cancellationToken)
        {
            _done = true;
            handle.Dispose();
            return Task.FromResult(new WriterCheckpoint(Size, null));
        }

        public Task CommitAsync(CancellationToken cancellationToken)
        {
            // On disk before the caller records the blob: after a power loss a row must not name bytes that were only
            // in the page cache (CNCF Distribution's filesystem driver syncs on commit too). Measured here: 1 ms for a
            // small file, 53 ms for 64 MiB when nothing was written back before (Writeback starts it every 8 MiB).
            try
            {
                RandomAccess.FlushToDisk(handle);
            }
            finally
            {
                _done = true;
                handle.Dispose();
            }

            return Task.CompletedTask;
        }

        public Task CancelAsync(CancellationToken cancellationToken)
        {
            _done = true;
            handle.Dispose();
            File.Delete(path);
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            // An abandoned writer leaves its bytes; resuming from the last checkpoint truncates them away.
            if (!_done)
            {
                handle.Dispose();
            }

            return ValueTask.CompletedTask;
        }
    }
}
