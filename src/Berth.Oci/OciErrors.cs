namespace Berth.Oci;

/// <summary>One row of the error table: what goes on the wire for an <see cref="OciErrorCode"/>.</summary>
public sealed record OciErrorInfo(string Code, string Message, int Status);

/// <summary>The one table mapping OCI error codes to their wire code, default message and HTTP status.</summary>
public static class OciErrors
{
    private static readonly OciErrorInfo[] Table = Build();

    public static OciErrorInfo Info(this OciErrorCode code) => Table[(int)code];

    private static OciErrorInfo[] Build()
    {
        var table = new OciErrorInfo[Enum.GetValues<OciErrorCode>().Length];
        void Add(OciErrorCode code, string wire, string message, int status) => table[(int)code] = new(wire, message, status);

        Add(OciErrorCode.BlobUnknown, "BLOB_UNKNOWN", "blob unknown to registry", 404);
        Add(OciErrorCode.BlobUploadInvalid, "BLOB_UPLOAD_INVALID", "blob upload invalid", 400);
        Add(OciErrorCode.BlobUploadUnknown, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", 404);
        Add(OciErrorCode.DigestInvalid, "DIGEST_INVALID", "provided digest did not match uploaded content", 400);
        Add(OciErrorCode.ManifestBlobUnknown, "MANIFEST_BLOB_UNKNOWN", "manifest references a manifest or blob unknown to registry", 400);
        Add(OciErrorCode.ManifestInvalid, "MANIFEST_INVALID", "manifest invalid", 400);
        Add(OciErrorCode.ManifestUnknown, "MANIFEST_UNKNOWN", "manifest unknown to registry", 404);
        Add(OciErrorCode.NameInvalid, "NAME_INVALID", "invalid repository name", 400);
        Add(OciErrorCode.NameUnknown, "NAME_UNKNOWN", "repository name not known to registry", 404);
        Add(OciErrorCode.SizeInvalid, "SIZE_INVALID", "provided length did not match content length", 400);
        Add(OciErrorCode.Unauthorized, "UNAUTHORIZED", "authentication required", 401);
        Add(OciErrorCode.Denied, "DENIED", "requested access to the resource is denied", 403);
        Add(OciErrorCode.Unsupported, "UNSUPPORTED", "the operation is unsupported", 405);
        Add(OciErrorCode.TooManyRequests, "TOOMANYREQUESTS", "too many requests", 429);
        Add(OciErrorCode.RangeInvalid, "RANGE_INVALID", "invalid content range", 416);
        Add(OciErrorCode.PaginationNumberInvalid, "PAGINATION_NUMBER_INVALID", "invalid number of results requested", 400);
        Add(OciErrorCode.Unavailable, "UNAVAILABLE", "service unavailable", 503);
        // Not in the OCI table, whose codes name no server fault but UNAVAILABLE: a client shows the message, and a 5xx
        // other than 503 tells it not to retry at once (RFC 4918's 507).
        Add(OciErrorCode.InsufficientStorage, "INSUFFICIENT_STORAGE", "the registry's disk is full", 507);
        Add(OciErrorCode.Unknown, "UNKNOWN", "unknown error", 500);
        return table;
    }
}
