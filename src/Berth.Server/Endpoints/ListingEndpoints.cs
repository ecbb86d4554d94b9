using System.Globalization;
using Berth.Oci;
using Berth.Registry.Catalog;
using Berth.Registry.Manifests;
using Berth.Server.Auth;

namespace Berth.Server.Endpoints;

/// <summary>Tag lists, the catalog and referrers: sorted, paginated with <c>n</c>/<c>last</c> and a <c>Link</c> header.</summary>
internal static class ListingEndpoints
{
    public static async Task TagsAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        if (!TryReadLimit(context, out var limit))
        {
            await OciResponses.WriteErrorAsync(context, OciErrorCode.PaginationNumberInvalid);
            return;
        }

        var manifests = context.RequestServices.GetRequiredService<IManifestStore>();
        var result = await manifests.ListTagsAsync(route.Name, limit, context.Request.Query["last"], context.RequestAborted);
        if (!result.IsSuccess)
        {
            await OciResponses.WriteErrorAsync(context, result.Error);
            return;
        }

        var page = result.Value;
        SetNextLink(context, $"/v2/{route.Name}/tags/list", limit, page);
        await OciResponses.WriteJsonAsync(context, new TagList(route.Name, page.Items), ServerJson.Default.TagList);
    }

    public static async Task CatalogAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        if (!TryReadLimit(context, out var limit))
        {
            await OciResponses.WriteErrorAsync(context, OciErrorCode.PaginationNumberInvalid);
            return;
        }

        var access = context.RequestServices.GetRequiredService<IAccessController>();
        var visible = await access.VisibleRepositoriesAsync(context, grant, context.RequestAborted);
        var catalog = context.RequestServices.GetRequiredService<IRepositoryCatalog>();
        var page = await catalog.ListAsync(limit ?? 100, context.Request.Query["last"], visible, context.RequestAborted);
        SetNextLink(context, "/v2/_catalog", limit ?? 100, page);
        await OciResponses.WriteJsonAsync(context, new CatalogList(page.Items), ServerJson.Default.CatalogList);
    }

    public static async Task ReferrersAsync(HttpContext context, RegistryRoute route, AccessGrant grant)
    {
        var manifests = context.RequestServices.GetRequiredService<IManifestStore>();
        string? artifactType = context.Request.Query["artifactType"];
        if (string.IsNullOrEmpty(artifactType))
        {
            artifactType = null;
        }

        var referrers = await manifests.ListReferrersAsync(route.Name, Digest.Parse(route.Argument), artifactType, context.RequestAborted);
        if (artifactType is not null)
        {
            context.Response.Headers["OCI-Filters-Applied"] = "artifactType";
        }

        var index = new ImageIndexDto(2, MediaTypes.OciIndex, referrers
            .Select(d => new DescriptorDto(d.MediaType, d.Digest.ToString(), d.Size, d.ArtifactType, d.Annotations))
            .ToList());
        await OciResponses.WriteJsonAsync(context, index, ServerJson.Default.ImageIndexDto, MediaTypes.OciIndex);
    }

    private static bool TryReadLimit(HttpContext context, out int? limit)
    {
        limit = null;
        if (!context.Request.Query.TryGetValue("n", out var text) || string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        limit = n;
        return true;
    }

    private static void SetNextLink<T>(HttpContext context, string path, int? limit, Page<T> page)
    {
        if (!page.HasMore || page.Items.Count == 0)
        {
            return;
        }

        var last = Uri.EscapeDataString(page.Items[^1]!.ToString()!);
        var n = limit ?? page.Items.Count;
        context.Response.Headers.Link = $"<{path}?n={n}&last={last}>; rel=\"next\"";
    }
}
