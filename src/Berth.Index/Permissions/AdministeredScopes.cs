using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Accounts;
using Berth.Index.Repositories;
using Berth.Index.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Permissions;

/// <summary>A scope the caller administers: exactly one of the ids is set; <see cref="Label"/> names it in messages and the audit log.</summary>
internal sealed record AdministeredScope(long? RepositoryId, long? NamespaceId, string Label);

/// <summary>
/// Who manages a repository's or a namespace's settings (webhooks, tag immutability rules, retention policies): the
/// repository's admins, the organisation's owners, the user for their own namespace, and site administrators. The one
/// check each such operation starts with.
/// </summary>
internal sealed class AdministeredScopes(BerthDbContext db, IPermissionService permissions)
{
    /// <param name="what">What is managed, for the refusal ("webhooks").</param>
    public async Task<Outcome<AdministeredScope>> RequireAsync(Principal caller, WebhookScope scope, string what, CancellationToken cancellationToken)
    {
        switch (scope.Kind)
        {
            case WebhookScopeKind.Repository:
                {
                    // Unreadable is the repository's own 404; readable without admin, 403.
                    var name = scope.Name ?? "";
                    var access = await permissions.RequireAsync(caller, name, AccessLevel.Admin, TokenScopes.Admin, cancellationToken);
                    return access.IsSuccess ? new AdministeredScope(access.Value.RepositoryId, null, name) : access.Error;
                }

            case WebhookScopeKind.Organization:
                {
                    // As the organisation's other owner-only operations: a missing name is 404, anyone but an owner 403.
                    var name = scope.Name ?? "";
                    var organization = await db.Organizations.Where(o => o.Name == name)
                        .Select(o => new { o.Id, o.NamespaceId }).FirstOrDefaultAsync(cancellationToken);
                    if (organization?.NamespaceId is not { } namespaceId)
                    {
                        return IndexError.NotFound($"organisation '{name}'");
                    }

                    if (!await permissions.IsOrganizationOwnerAsync(caller, organization.Id, cancellationToken))
                    {
                        return IndexError.Forbidden($"only owners of '{name}' may manage its {what}");
                    }

                    return Credentials.Require(caller, TokenScopes.Admin) is { } denied ? denied : new AdministeredScope(null, namespaceId, name);
                }

            default:
                {
                    var namespaceId = await db.Accounts.Where(a => a.Id == caller.AccountId).Select(a => a.NamespaceId).FirstOrDefaultAsync(cancellationToken);
                    if (namespaceId is null)
                    {
                        return IndexError.NotFound($"the namespace of '{caller.Name}'");
                    }

                    return Credentials.Require(caller, TokenScopes.Admin) is { } denied ? denied : new AdministeredScope(null, namespaceId, caller.Name);
                }
        }
    }
}
