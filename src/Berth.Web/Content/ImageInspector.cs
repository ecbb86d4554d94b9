using System.Text.Json;
using Berth.Oci;
using Berth.Registry.Blobs;
using Berth.Registry.Manifests;
using Microsoft.Extensions.Caching.Memory;

namespace Berth.Web.Content;

/// <summary>
/// Reads manifests and image configs through the registry's own stores, for a repository the page has already found
/// readable by the caller (this type checks nothing). Results are cached by digest: content-addressed, so they never
/// go stale. With no registry in this process (<c>--role index</c>) nothing is known and every answer is empty.
/// </summary>
internal sealed class ImageInspector(IServiceProvider services, ImageCache images)
{
    /// <summary>Configs larger than this are not read (real ones are a few KiB; history makes some tens).</summary>
    private const int MaxConfigBytes = 1024 * 1024;

    private readonly MemoryCache _cache = images.Entries;
    private readonly IManifestStore? _manifests = services.GetService<IManifestStore>();
    private readonly IBlobStore? _blobs = services.GetService<IBlobStore>();

    /// <summary>A stored manifest by tag or digest, parsed; null when there is none.</summary>
    public async Task<(ManifestContent Content, ManifestDocument Document)?> ManifestAsync(string repository, Reference reference, CancellationToken cancellationToken)
    {
        if (_manifests is null)
        {
            return null;
        }

        var found = await _manifests.GetAsync(repository, reference, cancellationToken);
        if (!found.IsSuccess)
        {
            return null;
        }

        var content = found.Value!;
        var parsed = ManifestParser.Parse(content.Content, content.MediaType);
        return parsed.IsSuccess ? (content, parsed.Value!) : null;
    }

    /// <summary>The platforms of a tagged manifest: each image of an index (attestations left out), or the image's own.</summary>
    public async Task<IReadOnlyList<string>> PlatformsAsync(string repository, string digest, CancellationToken cancellationToken)
    {
        var key = "platforms " + digest;
        if (_cache.TryGetValue(key, out IReadOnlyList<string>? known) && known is not null)
        {
            return known;
        }

        if (!Digest.TryParse(digest, out _) || !Reference.TryParse(digest, out var reference) || await ManifestAsync(repository, reference, cancellationToken) is not { } manifest)
        {
            return [];
        }

        IReadOnlyList<string> platforms = [];
        if (manifest.Document.IsIndex)
        {
            platforms = manifest.Document.Manifests
                .Where(m => m.Platform is { } p && !(p.Os == "unknown" && p.Architecture == "unknown"))
                .Select(m => PlatformText.Of(m.Platform!.Os, m.Platform.Architecture, m.Platform.Variant))
                .Distinct(StringComparer.Ordinal)
                .ToList();
        }
        else if (manifest.Document.Config is { } config && await ConfigAsync(repository, config, cancellationToken) is { Os: not null } summary)
        {
            platforms = [summary.Platform];
        }

        _cache.Set(key, platforms, new MemoryCacheEntryOptions { Size = 1 });
        return platforms;
    }

    /// <summary>The summary of an image config; null for an artifact's config, a missing blob or one too large to read.</summary>
    public async Task<ConfigSummary?> ConfigAsync(string repository, Descriptor config, CancellationToken cancellationToken)
    {
        if (_blobs is null || config.MediaType is not (MediaTypes.OciConfig or MediaTypes.DockerConfig) || config.Size is <= 0 or > MaxConfigBytes)
        {
            return null;
        }

        var key = "config " + config.Digest;
        if (_cache.TryGetValue(key, out ConfigSummary? known))
        {
            return known;
        }

        var linked = await _blobs.StatAsync(repository, config.Digest, cancellationToken);
        if (!linked.IsSuccess)
        {
            return null;
        }

        await using var stream = await _blobs.OpenReadAsync(config.Digest, 0, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        ConfigSummary? summary;
        try
        {
            using var json = await JsonDocument.ParseAsync(stream, default, cancellationToken);
            summary = Summarize(json.RootElement);
        }
        catch (JsonException)
        {
            summary = null;
        }

        _cache.Set(key, summary, new MemoryCacheEntryOptions { Size = 1 });
        return summary;
    }

    /// <summary>Manifests in the repository whose subject is <paramref name="subject"/>: signatures, SBOMs, attestations.</summary>
    public async Task<IReadOnlyList<ReferrerEntry>> ReferrersAsync(string repository, Digest subject, CancellationToken cancellationToken)
    {
        if (_manifests is null)
        {
            return [];
        }

        var referrers = await _manifests.ListReferrersAsync(repository, subject, null, cancellationToken);
        return referrers
            .Select(r => new ReferrerEntry(
                r.Digest.ToString(), r.ArtifactType, r.Size,
                r.Annotations is { } a && a.TryGetValue("org.opencontainers.image.created", out var created) ? created : null))
            .ToList();
    }

    private static ConfigSummary? Summarize(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var config = root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        DateTimeOffset? created = Text(root, "created") is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null;
        return new ConfigSummary(
            Text(root, "os"),
            Text(root, "architecture"),
            Text(root, "variant"),
            created,
            Text(root, "author"),
            Strings(config, "Entrypoint"),
            Strings(config, "Cmd"),
            Text(config, "WorkingDir") is { Length: > 0 } dir ? dir : null,
            Text(config, "User") is { Length: > 0 } user ? user : null,
            config.ValueKind == JsonValueKind.Object && config.TryGetProperty("ExposedPorts", out var ports) && ports.ValueKind == JsonValueKind.Object
                ? ports.EnumerateObject().Select(p => p.Name).ToList() : [],
            config.ValueKind == JsonValueKind.Object && config.TryGetProperty("Labels", out var labels) && labels.ValueKind == JsonValueKind.Object
                ? labels.EnumerateObject().Where(l => l.Value.ValueKind == JsonValueKind.String).Select(l => new KeyValuePair<string, string>(l.Name, l.Value.GetString()!)).OrderBy(l => l.Key, StringComparer.Ordinal).ToList()
                : []);
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static List<string> Strings(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToList()
            : [];
}

/// <summary>What <see cref="ImageInspector"/> read, by digest; bounded, for the life of the process.</summary>
internal sealed class ImageCache : IDisposable
{
    public MemoryCache Entries { get; } = new(new MemoryCacheOptions { SizeLimit = 20_000 });

    public void Dispose() => Entries.Dispose();
}
