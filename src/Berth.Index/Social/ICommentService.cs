using Berth.Index.Accounts;

namespace Berth.Index.Social;

/// <summary>A comment with its Markdown and the sanitised HTML rendered from it.</summary>
public sealed record CommentInfo(long Id, string Author, string Body, string Html, DateTime CreatedAt, DateTime? UpdatedAt);

/// <summary>Comments on repositories: anyone who may read a repository may comment; the author or a repository admin may edit or delete.</summary>
public interface ICommentService
{
    public const int MaxBodyLength = 20_000;

    /// <summary>Oldest first.</summary>
    Task<Outcome<IReadOnlyList<CommentInfo>>> ListAsync(Principal? caller, string repository, PageRequest page, CancellationToken cancellationToken);

    Task<Outcome<CommentInfo>> CreateAsync(Principal caller, string repository, string body, CancellationToken cancellationToken);

    /// <summary>A comment the caller may edit (its author or a repository admin): 404 if absent or unreadable, 403 if someone else's.</summary>
    Task<Outcome<CommentInfo>> GetEditableAsync(Principal caller, string repository, long id, CancellationToken cancellationToken);

    Task<Outcome<CommentInfo>> UpdateAsync(Principal caller, string repository, long id, string body, CancellationToken cancellationToken);

    Task<Outcome<bool>> DeleteAsync(Principal caller, string repository, long id, CancellationToken cancellationToken);
}
