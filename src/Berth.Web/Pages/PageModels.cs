using Berth.Index.Repositories;
using Berth.Index.Search;
using Berth.Web.Content;

namespace Berth.Web.Pages;

public sealed record ExploreModel(IReadOnlyList<RepositoryInfo> Recent, IReadOnlyList<RepositoryInfo> Starred);

public sealed record SearchModel(string Query, SearchSort Sort, int Page, int PageSize, int Total, IReadOnlyList<RepositoryInfo> Results)
{
    public int PageCount => Math.Max(1, (Total + PageSize - 1) / PageSize);
}

/// <param name="Kind">"user" or "organisation".</param>
public sealed record NamespaceModel(string Name, string Kind, string? Description, DateTime? Since, IReadOnlyList<RepositoryInfo> Repositories, int Page, bool HasNext, bool IsSelf);

public sealed record TagRow(TagInfo Tag, IReadOnlyList<string> Platforms);

/// <param name="Comments">The first comments, oldest first, their HTML ready for the page.</param>
/// <param name="Caller">The signed-in user's name, or null.</param>
public sealed record RepositoryModel(
    RepositoryDetails Details,
    string DescriptionHtml,
    IReadOnlyList<TagRow> Tags,
    int Page,
    int PageCount,
    string RegistryHost,
    IReadOnlyList<CommentView> Comments,
    string? Caller)
{
    /// <summary>Repository admins may delete anyone's comment; everyone else only their own.</summary>
    public bool MayDelete(CommentView comment) => Caller is not null && (comment.Author == Caller || Details.Permission >= Berth.Data.Entities.AccessLevel.Admin);

    public string Name => Details.Summary.Name;

    /// <summary>The tag pull commands name: <c>latest</c> when there is one, else the most recently pushed.</summary>
    public string? PullTag => Details.Tags.Any(t => t.Name == "latest") ? "latest" : Details.Tags.FirstOrDefault()?.Name;
}

/// <param name="Tag">The tag the page was opened by; null when opened by digest.</param>
public sealed record ManifestModel(
    string Repository,
    string? Tag,
    string Digest,
    string MediaType,
    long Size,
    string? ArtifactType,
    bool IsIndex,
    IReadOnlyList<IndexEntry> Children,
    ConfigSummary? Config,
    IReadOnlyList<LayerEntry> Layers,
    IReadOnlyList<ReferrerEntry> Referrers,
    IReadOnlyList<KeyValuePair<string, string>> Annotations,
    string Json,
    string RegistryHost)
{
    public long LayersSize => Layers.Sum(l => l.Size);

    public string PullReference => Tag is null ? $"{RegistryHost}/{Repository}@{Digest}" : $"{RegistryHost}/{Repository}:{Tag}";
}

public sealed record LoginModel(string User, string? Error, string ReturnTo);

public sealed record SignupModel(string Name, string? Email, string? Error);

public sealed record CommentView(long Id, string Author, string Html, DateTime CreatedAt, DateTime? UpdatedAt);
