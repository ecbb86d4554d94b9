using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Berth.Web.Hosting;

/// <summary>
/// The UI's stylesheet and script: plain files in <c>wwwroot</c>, embedded in the assembly (no front-end build, nothing
/// to find on disk at run time) and served at <c>/static/{name}?v={hash}</c>. A URL names one content, so it is
/// cached for a year; a new build changes the hash.
/// </summary>
internal sealed class StaticAssets
{
    private readonly FrozenDictionary<string, Asset> _assets;

    public StaticAssets()
    {
        var assembly = typeof(StaticAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var (name, type) in new[] { ("site.css", "text/css; charset=utf-8"), ("site.js", "text/javascript; charset=utf-8") })
        {
            using var stream = assembly.GetManifestResourceStream("Berth.Web." + name)
                ?? throw new InvalidOperationException($"Berth.Web is built without its embedded {name}");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            assets[name] = new Asset(bytes, type, Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]);
        }

        _assets = assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The versioned URL of an asset.</summary>
    public string Url(string name) => $"/static/{name}?v={_assets[name].Hash}";

    public IResult Serve(HttpContext http, string name)
    {
        if (!_assets.TryGetValue(name, out var asset))
        {
            return Results.NotFound();
        }

        var etag = $"\"{asset.Hash}\"";
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = http.Request.Query["v"] == asset.Hash ? "public, max-age=31536000, immutable" : "no-cache";
        if (http.Request.Headers.IfNoneMatch == etag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private sealed record Asset(byte[] Bytes, string ContentType, string Hash);
}
