using System.Text.Json;
using Berth.Data.Entities;
using Berth.Oci;
using Berth.Registry.Storage;

namespace Berth.Registry.Manifests;

/// <summary>
/// The platforms of a pushed manifest, as text for its push events (<c>linux/amd64, linux/arm64/v8</c>): an index's
/// from its descriptors (attestations' <c>unknown/unknown</c> left out), an image's from its config blob. Worked out
/// here, where the manifest and its config are at hand, so the index records them from the event alone.
/// </summary>
internal static class ManifestPlatforms
{
    /// <summary>Configs larger than this are not read (real ones are a few KiB; long histories make some tens).</summary>
    private const int MaxConfigBytes = 1024 * 1024;

    /// <summary>"" when there are none (an artifact, a config that names no OS).</summary>
    public static async Task<string> OfAsync(ManifestDocument document, IStorageDriver storage, CancellationToken cancellationToken)
    {
        if (document.IsIndex)
        {
            return Join(document.Manifests
                .Where(m => m.Platform is { } p && !(p.Os == "unknown" && p.Architecture == "unknown"))
                .Select(m => PlatformText.Of(m.Platform!.Os, m.Platform.Architecture, m.Platform.Variant)));
        }

        if (document.Config is not { MediaType: MediaTypes.OciConfig or MediaTypes.DockerConfig, Size: > 0 and <= MaxConfigBytes } config)
        {
            return "";
        }

        await using var stream = await storage.OpenReadAsync(StorageKeys.Blob(config.Digest), 0, cancellationToken);
        if (stream is null)
        {
            return "";
        }

        try
        {
            using var json = await JsonDocument.ParseAsync(stream, default, cancellationToken);
            var root = json.RootElement;
            return Text(root, "os") is { } os
                ? Join([PlatformText.Of(os, Text(root, "architecture"), Text(root, "variant"))])
                : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    /// <summary>Distinct, in the manifest's order, cut at a platform boundary to fit the index's column.</summary>
    private static string Join(IEnumerable<string> platforms)
    {
        var kept = new List<string>();
        var length = 0;
        foreach (var platform in platforms.Distinct(StringComparer.Ordinal))
        {
            var added = platform.Length + (kept.Count == 0 ? 0 : PlatformText.Separator.Length);
            if (length + added > TagSummary.MaxPlatformsLength)
            {
                break;
            }

            kept.Add(platform);
            length += added;
        }

        return string.Join(PlatformText.Separator, kept);
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
