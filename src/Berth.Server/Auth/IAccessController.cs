namespace Berth.Server.Auth;

/// <summary>
/// The one seam through which every <c>/v2</c> request is authorised. A deployment picks one implementation at
/// start-up: none, htpasswd (Basic) or token (Bearer JWT from the index).
/// </summary>
public interface IAccessController
{
    ValueTask<AccessGrant> AuthorizeAsync(HttpContext context, IReadOnlyList<AccessRequest> required, CancellationToken cancellationToken);

    /// <summary>
    /// Narrows a catalog listing to the repository names the caller may see, as a query over this request's
    /// database context; null means everything. Called after the catalog access itself was granted.
    /// </summary>
    ValueTask<IQueryable<string>?> VisibleRepositoriesAsync(HttpContext context, AccessGrant grant, CancellationToken cancellationToken);
}
