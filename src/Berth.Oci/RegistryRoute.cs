namespace Berth.Oci;

public enum RouteKind
{
    Base,
    Catalog,
    Tags,
    Manifest,
    Blob,
    UploadStart,
    Upload,
    Referrers,
}

/// <summary>
/// A parsed <c>/v2/…</c> path. Repository names contain slashes, so the name is what is left after the
/// fixed suffix (<c>/manifests/&lt;ref&gt;</c>, <c>/blobs/uploads/&lt;id&gt;</c>, …) is taken off the right.
/// The name, digest and reference are validated here; upload ids are validated by their owner.
/// </summary>
public sealed record RegistryRoute(RouteKind Kind, string Name = "", string Argument = "")
{
    /// <summary>
    /// The message of the error for a manifest reference that is neither a tag nor a digest. The parser does not
    /// know the method; the caller decides: nothing can be stored under such a reference, so reads and deletes
    /// answer 404 <c>MANIFEST_UNKNOWN</c>, while a push is refused with this 400.
    /// </summary>
    public const string InvalidTagMessage = "invalid tag";

    /// <summary>Whether <paramref name="error"/> is the parser's answer to a manifest reference that is not a valid tag.</summary>
    public static bool IsInvalidTag(OciError error) => error is { Code: OciErrorCode.ManifestInvalid, Message: InvalidTagMessage };

    /// <summary>Parses the path after <c>/v2/</c> (no leading slash, already percent-decoded).</summary>
    public static Result<RegistryRoute> Parse(string path)
    {
        if (path.Length == 0)
        {
            return new RegistryRoute(RouteKind.Base);
        }

        if (path == "_catalog")
        {
            return new RegistryRoute(RouteKind.Catalog);
        }

        if (path.EndsWith("/blobs/uploads/", StringComparison.Ordinal))
        {
            return WithName(RouteKind.UploadStart, path[..^"/blobs/uploads/".Length], "");
        }

        if (path.EndsWith("/blobs/uploads", StringComparison.Ordinal))
        {
            return WithName(RouteKind.UploadStart, path[..^"/blobs/uploads".Length], "");
        }

        if (path.EndsWith("/tags/list", StringComparison.Ordinal))
        {
            return WithName(RouteKind.Tags, path[..^"/tags/list".Length], "");
        }

        var lastSlash = path.LastIndexOf('/');
        if (lastSlash <= 0)
        {
            return NotFound();
        }

        var argument = path[(lastSlash + 1)..];
        var rest = path[..lastSlash];
        var secondSlash = rest.LastIndexOf('/');
        if (secondSlash <= 0)
        {
            return NotFound();
        }

        var name = rest[..secondSlash];
        switch (rest[(secondSlash + 1)..])
        {
            case "manifests":
                return Reference.TryParse(argument, out _)
                    ? WithName(RouteKind.Manifest, name, argument)
                    : InvalidReference(name, argument);
            case "blobs":
                return WithDigest(RouteKind.Blob, name, argument);
            case "uploads" when name.EndsWith("/blobs", StringComparison.Ordinal):
                return WithName(RouteKind.Upload, name[..^"/blobs".Length], argument);
            case "referrers":
                return WithDigest(RouteKind.Referrers, name, argument);
            default:
                return NotFound();
        }
    }

    private static Result<RegistryRoute> WithName(RouteKind kind, string name, string argument) =>
        RepositoryName.IsValid(name)
            ? new RegistryRoute(kind, name, argument)
            : new OciError(OciErrorCode.NameInvalid, "invalid repository name", new { name = Truncate(name) });

    private static Result<RegistryRoute> WithDigest(RouteKind kind, string name, string digest)
    {
        if (!RepositoryName.IsValid(name))
        {
            return new OciError(OciErrorCode.NameInvalid, "invalid repository name", new { name = Truncate(name) });
        }

        return Digest.TryParse(digest, out _)
            ? new RegistryRoute(kind, name, digest)
            : new OciError(OciErrorCode.DigestInvalid, "invalid digest", new { digest = Truncate(digest) });
    }

    private static Result<RegistryRoute> InvalidReference(string name, string reference)
    {
        if (!RepositoryName.IsValid(name))
        {
            return new OciError(OciErrorCode.NameInvalid, "invalid repository name", new { name = Truncate(name) });
        }

        return reference.Contains(':', StringComparison.Ordinal)
            ? new OciError(OciErrorCode.DigestInvalid, "invalid digest", new { digest = Truncate(reference) })
            : new OciError(OciErrorCode.ManifestInvalid, InvalidTagMessage, new { tag = Truncate(reference) });
    }

    private static OciError NotFound() => new(OciErrorCode.NameUnknown, "no such endpoint", Status: 404);

    // Echoing attacker input is fine in JSON, but not unbounded.
    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
