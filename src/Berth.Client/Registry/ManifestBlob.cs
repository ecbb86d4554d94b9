using Berth.Oci;

namespace Berth.Client.Registry;

/// <summary>A manifest or index exactly as stored: its bytes (never re-serialized: the digest is of these bytes), type and digest.</summary>
public sealed record ManifestBlob(byte[] Bytes, string MediaType, Digest Digest)
{
    public static ManifestBlob From(byte[] bytes, string mediaType) => new(bytes, mediaType, Digest.Sha256(bytes));

    public Descriptor Descriptor => new(MediaType, Digest, Bytes.LongLength);

    /// <summary>The parsed document; throws for content that is no manifest a registry would accept.</summary>
    public ManifestDocument Parse()
    {
        var parsed = ManifestParser.Parse(Bytes, MediaType);
        return parsed.IsSuccess
            ? parsed.Value
            : throw new RegistryException(RegistryErrorKind.Invalid, $"manifest {Digest} is invalid: {parsed.Error.WireMessage}");
    }
}
