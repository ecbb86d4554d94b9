using System.Text.Encodings.Web;
using System.Text.Json;
using Berth.Index;
using Berth.Index.Repositories;
using Berth.Index.Social;
using Berth.Oci;
using Berth.Registry.Manifests;
using Berth.Web.Content;
using Berth.Web.Sessions;
using Berth.Web.Views;
using Microsoft.Extensions.Options;

namespace Berth.Web.Pages;

/// <summary>
/// <c>/r/{name}</c> and, after <c>/-/</c> (which no name can contain), <c>tags/{tag}</c> and <c>manifests/{digest}</c>.
/// Every page first asks <see cref="IRepositoryService.GetAsync"/>, which answers a private repository the caller may
/// not read exactly like an absent one; only then are the registry's stores read.
/// </summary>
internal static class RepositoryPages
{
    public const string Separator = "/-/";
    public const int TagPageSize = 25;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public const int CommentLimit = 100;

    public static async Task<IResult> DispatchAsync(
        HttpContext http, string path, string? page, IRepositoryService repositories, ICommentService comments, ImageInspector images, IOptions<WebUiOptions> options, CancellationToken cancellationToken)
    {
        var split = path.IndexOf(Separator, StringComparison.Ordinal);
        var name = split < 0 ? path.TrimEnd('/') : path[..split];
        var resource = split < 0 ? null : path[(split + Separator.Length)..];
        if (!RepositoryName.IsValid(name))
        {
            return WebPage.NotFound(http);
        }

        var details = await repositories.GetAsync(WebCaller.Of(http), name, cancellationToken);
        if (!details.IsSuccess)
        {
            return WebPage.NotFound(http);
        }

        var host = options.Value.RegistryHost ?? http.Request.Host.Value ?? "localhost";
        if (resource is null)
        {
            return await RepositoryAsync(http, details.Value!, page, repositories, comments, images, host, cancellationToken);
        }

        var parts = resource.Split('/');
        if (parts is ["comments", var comment, "edit"])
        {
            return await CommentPages.EditFormAsync(http, name, comment, comments, cancellationToken);
        }

        if (parts.Length == 2 && parts[0] == "tags" && Tag.IsValid(parts[1]) && Reference.TryParse(parts[1], out var tag))
        {
            return await ManifestAsync(http, name, parts[1], tag, images, host, cancellationToken);
        }

        if (parts.Length == 2 && parts[0] == "manifests" && Digest.TryParse(parts[1], out _) && Reference.TryParse(parts[1], out var digest))
        {
            return await ManifestAsync(http, name, null, digest, images, host, cancellationToken);
        }

        return WebPage.NotFound(http);
    }

    private static async Task<IResult> RepositoryAsync(
        HttpContext http, RepositoryDetails details, string? page, IRepositoryService repositories, ICommentService comments, ImageInspector images, string host, CancellationToken cancellationToken)
    {
        var pageCount = (int)Math.Max(1, (details.TagCount + TagPageSize - 1) / TagPageSize);
        var number = BrowsePages.ParsePage(page);
        var request = PageRequest.Create(number, TagPageSize);
        if (!request.IsSuccess || number > pageCount)
        {
            return WebPage.NotFound(http);
        }

        var name = details.Summary.Name;
        var tags = await repositories.ListTagsAsync(WebCaller.Of(http), name, request.Value, cancellationToken);
        if (!tags.IsSuccess)
        {
            return WebPage.NotFound(http);
        }

        var rows = new List<TagRow>(tags.Value!.Count);
        foreach (var tag in tags.Value)
        {
            // Recorded at push; a tag recorded before the index stored platforms is looked up (and cached by digest).
            var platforms = tag.Platforms is { } recorded
                ? recorded.Split(PlatformText.Separator, StringSplitOptions.RemoveEmptyEntries)
                : await images.PlatformsAsync(name, tag.Digest, cancellationToken);
            rows.Add(new TagRow(tag, platforms));
        }

        var description = string.IsNullOrWhiteSpace(details.Summary.Description) ? "" : Descriptions.ToHtml(details.Summary.Description);
        var caller = WebCaller.Of(http);
        var listed = await comments.ListAsync(caller, name, PageRequest.Create(1, CommentLimit).Value, cancellationToken);
        var views = listed.IsSuccess
            ? listed.Value!.Select(c => new CommentView(c.Id, c.Author, Descriptions.Demote(c.Html), c.CreatedAt, c.UpdatedAt)).ToList()
            : [];
        return WebPage.Render<RepositoryView, RepositoryModel>(http, new RepositoryModel(details, description, rows, request.Value.Page, pageCount, host, views, caller?.Name));
    }

    private static async Task<IResult> ManifestAsync(HttpContext http, string repository, string? tag, Reference reference, ImageInspector images, string host, CancellationToken cancellationToken)
    {
        if (await images.ManifestAsync(repository, reference, cancellationToken) is not { } found)
        {
            return WebPage.NotFound(http);
        }

        var (content, document) = found;
        var children = document.Manifests
            .Select(m => new IndexEntry(
                m.Platform is { } p ? Platform(p) : "—", m.Digest.ToString(), m.MediaType, m.Size, m.ArtifactType))
            .ToList();
        var config = document.Config is { } descriptor ? await images.ConfigAsync(repository, descriptor, cancellationToken) : null;
        var layers = document.Layers.Select(l => new LayerEntry(l.Digest.ToString(), l.MediaType, l.Size)).ToList();
        var referrers = await images.ReferrersAsync(repository, content.Digest, cancellationToken);
        var annotations = (document.Annotations ?? new Dictionary<string, string>()).OrderBy(a => a.Key, StringComparer.Ordinal).ToList();
        return WebPage.Render<ManifestView, ManifestModel>(http, new ManifestModel(
            repository,
            tag,
            content.Digest.ToString(),
            content.MediaType,
            content.Content.Length,
            document.EffectiveArtifactType is { } type && type != MediaTypes.OciConfig && type != MediaTypes.DockerConfig ? type : null,
            document.IsIndex,
            children,
            config,
            layers,
            referrers,
            annotations,
            PrettyJson(content),
            host));
    }

    private static string Platform(Berth.Oci.Platform p) => PlatformText.Of(p.Os, p.Architecture, p.Variant);

    private static string PrettyJson(ManifestContent content)
    {
        try
        {
            using var json = JsonDocument.Parse(content.Content);
            return JsonSerializer.Serialize(json.RootElement, Indented);
        }
        catch (JsonException)
        {
            return System.Text.Encoding.UTF8.GetString(content.Content.Span);
        }
    }
}
