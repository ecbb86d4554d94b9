using Berth.Data.Entities;
using Berth.Index.Accounts;

namespace Berth.Index.Permissions;

/// <summary>
/// The one place that decides who may see and change what. Every surface (<c>/token</c>, <c>/v2</c> catalog,
/// search, the REST API, the UI) asks here, so the rules cannot drift between them.
/// </summary>
public interface IPermissionService
{
    /// <summary>The caller's access to a repository name; <paramref name="principal"/> null is anonymous.</summary>
    Task<RepositoryAccess> GetAccessAsync(Principal? principal, string repository, CancellationToken cancellationToken);

    /// <summary>
    /// The registry actions among <paramref name="requested"/> the caller may perform on <paramref name="repository"/>.
    /// On a name that does not exist, <c>pull</c> and <c>delete</c> grant nothing and <c>push</c> is a grant to create it
    /// (see <see cref="AllowedActions.CreatesRepository"/>). A mirrored name (<see cref="IMirroredNames"/>) grants at most
    /// <c>pull</c>, as its upstream's pull policy and the caller's grants allow, whether it is cached or not.
    /// </summary>
    Task<AllowedActions> AllowedActionsAsync(Principal? principal, string repository, IEnumerable<string> requested, CancellationToken cancellationToken);

    /// <summary>Repositories the caller may read, as a query to filter or page further.</summary>
    IQueryable<RepositoryRecord> VisibleRepositories(Principal? principal);

    /// <summary>
    /// The names of the repositories the holder of a registry token may read (the <c>/v2</c> catalog).
    /// <paramref name="subject"/> is the token's subject (null: anonymous); <paramref name="siteAdmin"/> whether the
    /// token carried site-admin powers, which count only for an admin account. An unknown or disabled account sees
    /// nothing.
    /// </summary>
    Task<IQueryable<string>> VisibleRepositoryNamesAsync(string? subject, bool siteAdmin, CancellationToken cancellationToken);

    /// <summary>
    /// The actions among <paramref name="wanted"/> the holder of a registry token may perform on
    /// <paramref name="repository"/> as the rows say now (<paramref name="subject"/> and <paramref name="siteAdmin"/> as
    /// for <see cref="VisibleRepositoryNamesAsync"/>). The registry grants only what both this and the token's
    /// <c>access</c> claim allow, on every request, so a repository made private, a grant removed or an account disabled
    /// stops an issued token at once instead of when it expires. Create grants are not counted: on a name that does not
    /// exist nothing is allowed here (the registry checks create grants against the repository's creator).
    /// </summary>
    Task<IReadOnlySet<string>> CurrentActionsAsync(string? subject, bool siteAdmin, string repository, IReadOnlyCollection<string> wanted, CancellationToken cancellationToken);

    /// <summary>Whether the caller may create repositories (and so own content) in a namespace.</summary>
    Task<bool> CanCreateInAsync(Principal? principal, string @namespace, CancellationToken cancellationToken);

    /// <summary>Whether the caller administers a namespace: a site admin, the user it is, or an owner of the organisation it is.</summary>
    Task<bool> AdministersNamespaceAsync(Principal? principal, string @namespace, CancellationToken cancellationToken);

    /// <summary>Whether the caller administers an organisation (owner, or a site admin).</summary>
    Task<bool> IsOrganizationOwnerAsync(Principal? principal, long organizationId, CancellationToken cancellationToken);
}
