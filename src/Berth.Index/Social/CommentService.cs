using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Accounts;
using Berth.Index.Audit;
using Berth.Index.Permissions;
using Berth.Index.Repositories;
using Berth.Index.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Social;

internal sealed class CommentService(BerthDbContext db, IPermissionService permissions, IAuditLog audit, WebhookFanout webhooks, TimeProvider time) : ICommentService
{
    public async Task<Outcome<IReadOnlyList<CommentInfo>>> ListAsync(Principal? caller, string repository, PageRequest page, CancellationToken cancellationToken)
    {
        var access = await permissions.ReadableAsync(caller, repository, cancellationToken);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        var id = access.Value.RepositoryId;
        var comments = await (from c in db.Comments
                              join a in db.Accounts on c.AccountId equals a.Id
                              where c.RepositoryId == id
                              orderby c.CreatedAt, c.Id
                              select new { Comment = c, Author = a.Name })
                             .Skip(page.Skip).Take(page.Size).AsNoTracking().ToListAsync(cancellationToken);
        return comments.Select(c => ToInfo(c.Comment, c.Author)).ToList();
    }

    public async Task<Outcome<CommentInfo>> CreateAsync(Principal caller, string repository, string body, CancellationToken cancellationToken)
    {
        var access = await permissions.RequireAsync(caller, repository, AccessLevel.Read, TokenScopes.Write, cancellationToken);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        if (Validate(body) is { } invalid)
        {
            return invalid;
        }

        var comment = new Comment
        {
            RepositoryId = access.Value.RepositoryId,
            AccountId = caller.AccountId,
            Body = body,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        // The payload names the comment's id, known after its INSERT: a transaction around both, only when a webhook listens.
        var targets = await webhooks.MatchAsync(repository, cancellationToken);
        await using var transaction = targets.IsEmpty ? null : await db.Database.BeginTransactionAsync(cancellationToken);
        db.Comments.Add(comment);
        await db.SaveChangesAsync(cancellationToken);
        if (transaction is not null)
        {
            webhooks.AddRepositoryEvent(targets, WebhookEventTypes.Comment, caller.Name, new WebhookEventData { Comment = new WebhookComment(comment.Id, body) });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            webhooks.Notify();
        }

        return ToInfo(comment, caller.Name);
    }

    public async Task<Outcome<CommentInfo>> GetEditableAsync(Principal caller, string repository, long id, CancellationToken cancellationToken)
    {
        var found = await ModifiableAsync(caller, repository, id, cancellationToken);
        return found.IsSuccess ? ToInfo(found.Value.Comment, found.Value.Author) : found.Error;
    }

    public async Task<Outcome<CommentInfo>> UpdateAsync(Principal caller, string repository, long id, string body, CancellationToken cancellationToken)
    {
        var found = await ModifiableAsync(caller, repository, id, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        if (Validate(body) is { } invalid)
        {
            return invalid;
        }

        var (comment, author) = found.Value;
        comment.Body = body;
        comment.UpdatedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        return ToInfo(comment, author);
    }

    public async Task<Outcome<bool>> DeleteAsync(Principal caller, string repository, long id, CancellationToken cancellationToken)
    {
        var found = await ModifiableAsync(caller, repository, id, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var (comment, author) = found.Value;
        db.Comments.Remove(comment);
        audit.Add(caller.Name, AuditActions.CommentDeleted, repository, $"comment {id} by {author}");
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>A comment of this repository that the caller wrote or administers (404 if absent, 403 if someone else's).</summary>
    private async Task<Outcome<(Comment Comment, string Author)>> ModifiableAsync(Principal caller, string repository, long id, CancellationToken cancellationToken)
    {
        var access = await permissions.RequireAsync(caller, repository, AccessLevel.Read, TokenScopes.Write, cancellationToken);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        var repositoryId = access.Value.RepositoryId;
        var found = await (from c in db.Comments
                           join a in db.Accounts on c.AccountId equals a.Id
                           where c.Id == id && c.RepositoryId == repositoryId
                           select new { Comment = c, Author = a.Name }).FirstOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return IndexError.NotFound($"comment {id} on '{repository}'");
        }

        if (found.Comment.AccountId != caller.AccountId && access.Value.Level < AccessLevel.Admin)
        {
            return IndexError.Forbidden("only the author or an admin of the repository may change this comment");
        }

        return (found.Comment, found.Author);
    }

    private static IndexError? Validate(string body) =>
        string.IsNullOrWhiteSpace(body) || body.Length > ICommentService.MaxBodyLength
            ? IndexError.Invalid($"a comment is 1 to {ICommentService.MaxBodyLength} characters of Markdown")
            : null;

    private static CommentInfo ToInfo(Comment comment, string author) =>
        new(comment.Id, author, comment.Body, CommentRenderer.ToHtml(comment.Body), Times.Utc(comment.CreatedAt), Times.Utc(comment.UpdatedAt));
}
