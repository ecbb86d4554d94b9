using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Accounts;
using Berth.Index.Permissions;
using Berth.Oci;

namespace Berth.Index.Repositories;

/// <summary>Queries and checks shared by the services that act on one repository.</summary>
internal static class RepositoryQueries
{
    public static IQueryable<RepositoryRow> Rows(this BerthDbContext db, IQueryable<RepositoryRecord> repositories) =>
        repositories.Select(r => new RepositoryRow
        {
            Id = r.Id,
            Name = r.Name,
            Namespace = r.Namespace,
            Visibility = r.Visibility,
            Description = r.Description,
            StarCount = db.Stars.Count(s => s.RepositoryId == r.Id),
            PullCount = r.PullCount,
            LastPushedAt = r.LastPushedAt,
            CreatedAt = r.CreatedAt,
            MirrorSource = r.MirrorSource,
        });

    /// <summary>The caller's access to a repository they may read; anything else is the same 404 as an absent name.</summary>
    public static async Task<Outcome<RepositoryAccess>> ReadableAsync(this IPermissionService permissions, Principal? caller, string name, CancellationToken cancellationToken)
    {
        if (!RepositoryName.IsValid(name))
        {
            return NotFound(name);
        }

        var access = await permissions.GetAccessAsync(caller, name, cancellationToken);
        return access.IsVisible ? access : NotFound(name);
    }

    /// <summary>
    /// A repository the caller may see and act on at <paramref name="level"/> with a credential carrying
    /// <paramref name="scope"/>: 404 when invisible, 403 when visible but not allowed.
    /// </summary>
    public static async Task<Outcome<RepositoryAccess>> RequireAsync(
        this IPermissionService permissions, Principal caller, string name, AccessLevel level, TokenScopes scope, CancellationToken cancellationToken)
    {
        var access = await permissions.ReadableAsync(caller, name, cancellationToken);
        if (!access.IsSuccess)
        {
            return access;
        }

        if (access.Value.Level < level)
        {
            return IndexError.Forbidden($"this needs {level.ToString().ToLowerInvariant()} permission on '{name}'");
        }

        return Credentials.Require(caller, scope) is { } denied ? denied : access;
    }

    public static IndexError NotFound(string name) => IndexError.NotFound($"repository '{name}'");
}
