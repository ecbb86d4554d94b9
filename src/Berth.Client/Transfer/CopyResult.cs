using Berth.Client.Registry;

namespace Berth.Client.Transfer;

/// <summary>What a copy did.</summary>
public sealed record CopyResult(ManifestBlob Manifest, string? Tag, long BytesTransferred, int BlobsTransferred, int BlobsSkipped, int BlobsMounted);
