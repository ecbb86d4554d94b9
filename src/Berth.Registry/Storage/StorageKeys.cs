using Berth.Oci;

namespace Berth.Registry.Storage;

/// <summary>The layout of objects in storage. Every key comes from here and only from validated values.</summary>
public static class StorageKeys
{
    public static string Blob(Digest digest) =>
        $"blobs/{digest.AlgorithmName}/{digest.Encoded[..2]}/{digest.Encoded}/data";

    public static string UploadData(string uploadId) => $"uploads/{uploadId}/data";

    public static string Upload(string uploadId) => $"uploads/{uploadId}";
}
