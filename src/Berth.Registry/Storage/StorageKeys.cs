using Berth.Oci;

namespace Berth.Registry.Storage;

/// <summary>The layout of objects in storage. Every key comes from here and only from validated values.</summary>
public static class StorageKeys
{
    public static string Blob(Digest digest) =>
        $"blobs/{digest.AlgorithmName}/{digest.Encoded[..2]}/{digest.Encoded}/data";

    /// <summary>
    /// An upload's bytes: one object, no folder of its own. On the filesystem a folder per upload cost a mkdir and an
    /// rmdir per blob, and the folders' freshly freed inodes slowed later mkdirs (ext4 skips recently deleted inodes):
    /// 4–10 % of the server's CPU in a stream of small pushes (perf, three runs). Uploads begun before this layout kept their
    /// bytes in <c>uploads/ID/data</c>: deleting this key deletes that folder too (both drivers delete what lies under
    /// a key), and such an upload cannot be resumed (its key is a folder: no data). The folder itself is kept by
    /// <see cref="UploadsFolder"/>.
    /// </summary>
    public static string Upload(string uploadId) => $"uploads/{uploadId}";
}
