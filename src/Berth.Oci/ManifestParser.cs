using System.Text.Json;

namespace Berth.Oci;

/// <summary>
/// Parses and validates OCI image manifests and indexes and Docker schema 2 manifests and lists.
/// Everything a registry later trusts (digests, sizes, media types) is checked here, once.
/// </summary>
public static class ManifestParser
{
    /// <summary>The largest manifest accepted; the spec asks registries to take at least 4 MiB.</summary>
    public const int MaxManifestBytes = 4 * 1024 * 1024;

    public static Result<ManifestDocument> Parse(ReadOnlyMemory<byte> content, string? contentType)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            return Invalid($"manifest is not valid JSON: {e.Message}");
        }

        using (json)
        {
            try
            {
                return Parse(json.RootElement, NormalizeContentType(contentType));
            }
            catch (InvalidOperationException)
            {
                // JsonDocument accepts invalid UTF-8 and lone surrogates inside strings; reading them throws.
                return Invalid("manifest contains a string that is not valid UTF-8");
            }
        }
    }

    private static Result<ManifestDocument> Parse(JsonElement root, string? contentType)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Invalid("manifest must be a JSON object");
        }

        if (!root.TryGetProperty("schemaVersion", out var schemaVersion) || schemaVersion.ValueKind != JsonValueKind.Number ||
            !schemaVersion.TryGetInt32(out var version) || version != 2)
        {
            return Invalid("schemaVersion must be 2");
        }

        var declared = OptionalString(root, "mediaType", out var mediaTypeError);
        if (mediaTypeError is not null)
        {
            return Invalid(mediaTypeError);
        }

        if (declared is not null && contentType is not null && declared != contentType)
        {
            return Invalid($"Content-Type '{contentType}' does not match the manifest's mediaType '{declared}'");
        }

        var mediaType = declared ?? contentType ?? Infer(root);
        if (mediaType is null || !MediaTypes.IsManifest(mediaType))
        {
            return Invalid($"unsupported manifest media type '{mediaType ?? declared ?? contentType}'");
        }

        if (mediaType is MediaTypes.DockerManifest or MediaTypes.DockerManifestList && declared is null)
        {
            return Invalid("a Docker schema 2 manifest must declare its mediaType");
        }

        var artifactType = OptionalString(root, "artifactType", out var artifactTypeError);
        if (artifactTypeError is not null || (artifactType is not null && !MediaTypes.IsWellFormed(artifactType)))
        {
            return Invalid(artifactTypeError ?? "artifactType is not a valid media type");
        }

        var annotations = ParseAnnotations(root, "manifest", out var annotationsError);
        if (annotationsError is not null)
        {
            return Invalid(annotationsError);
        }

        Descriptor? subject = null;
        if (root.TryGetProperty("subject", out var subjectElement) && subjectElement.ValueKind != JsonValueKind.Null)
        {
            var parsed = ParseDescriptor(subjectElement, "subject");
            if (!parsed.IsSuccess)
            {
                return parsed.Error;
            }

            subject = parsed.Value;
        }

        if (MediaTypes.IsIndex(mediaType))
        {
            var manifests = ParseDescriptorArray(root, "manifests", required: true);
            return manifests.IsSuccess
                ? new ManifestDocument(mediaType, artifactType, null, [], manifests.Value, subject, annotations)
                : manifests.Error;
        }

        if (!root.TryGetProperty("config", out var configElement))
        {
            return Invalid("an image manifest must have a config descriptor");
        }

        var config = ParseDescriptor(configElement, "config");
        if (!config.IsSuccess)
        {
            return config.Error;
        }

        var layers = ParseDescriptorArray(root, "layers", required: true);
        return layers.IsSuccess
            ? new ManifestDocument(mediaType, artifactType, config.Value, layers.Value, [], subject, annotations)
            : layers.Error;
    }

    private static string? Infer(JsonElement root) =>
        root.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex
        : root.TryGetProperty("config", out _) ? MediaTypes.OciManifest
        : null;

    private static string? NormalizeContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var bare = (semicolon >= 0 ? contentType[..semicolon] : contentType).Trim();
        // Clients that do not know the type send these; the document's own mediaType (or its shape) decides then.
        return bare is "" or MediaTypes.OctetStream or "application/json" ? null : bare;
    }

    private static Result<IReadOnlyList<Descriptor>> ParseDescriptorArray(JsonElement root, string property, bool required)
    {
        if (!root.TryGetProperty(property, out var array) || array.ValueKind == JsonValueKind.Null)
        {
            return required ? Invalid($"'{property}' is required") : Array.Empty<Descriptor>();
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            return Invalid($"'{property}' must be an array");
        }

        var list = new List<Descriptor>(array.GetArrayLength());
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var descriptor = ParseDescriptor(item, $"{property}[{index++}]");
            if (!descriptor.IsSuccess)
            {
                return descriptor.Error;
            }

            list.Add(descriptor.Value);
        }

        return list;
    }

    private static Result<Descriptor> ParseDescriptor(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return Invalid($"{where} must be a descriptor object");
        }

        var mediaType = OptionalString(element, "mediaType", out var error);
        if (error is not null || !MediaTypes.IsWellFormed(mediaType))
        {
            return Invalid($"{where}.mediaType is missing or malformed");
        }

        var digestText = OptionalString(element, "digest", out error);
        if (error is not null || !Digest.TryParse(digestText, out var digest))
        {
            return new OciError(OciErrorCode.DigestInvalid, $"{where}.digest '{digestText}' is not a valid digest");
        }

        if (!element.TryGetProperty("size", out var sizeElement) || sizeElement.ValueKind != JsonValueKind.Number ||
            !sizeElement.TryGetInt64(out var size) || size < 0)
        {
            return Invalid($"{where}.size must be a non-negative integer");
        }

        var artifactType = OptionalString(element, "artifactType", out error);
        if (error is not null || (artifactType is not null && !MediaTypes.IsWellFormed(artifactType)))
        {
            return Invalid($"{where}.artifactType is malformed");
        }

        var annotations = ParseAnnotations(element, where, out error);
        if (error is not null)
        {
            return Invalid(error);
        }

        Platform? platform = null;
        if (element.TryGetProperty("platform", out var platformElement) && platformElement.ValueKind != JsonValueKind.Null)
        {
            var architecture = platformElement.ValueKind == JsonValueKind.Object ? OptionalString(platformElement, "architecture", out error) : null;
            var os = platformElement.ValueKind == JsonValueKind.Object ? OptionalString(platformElement, "os", out error) : null;
            if (architecture is null || os is null)
            {
                return Invalid($"{where}.platform needs architecture and os");
            }

            platform = new Platform(architecture, os, OptionalString(platformElement, "variant", out _));
        }

        return new Descriptor(mediaType, digest, size, artifactType, annotations, platform);
    }

    private static Dictionary<string, string>? ParseAnnotations(JsonElement element, string where, out string? error)
    {
        error = null;
        if (!element.TryGetProperty("annotations", out var annotations) || annotations.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (annotations.ValueKind != JsonValueKind.Object)
        {
            error = $"{where}.annotations must be an object of strings";
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in annotations.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                error = $"{where}.annotations['{property.Name}'] must be a string";
                return null;
            }

            result[property.Name] = property.Value.GetString()!;
        }

        return result;
    }

    private static string? OptionalString(JsonElement element, string property, out string? error)
    {
        error = null;
        if (!element.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            error = $"'{property}' must be a string";
            return null;
        }

        return value.GetString();
    }

    private static OciError Invalid(string message) => new(OciErrorCode.ManifestInvalid, message);
}
