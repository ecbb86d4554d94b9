namespace Berth.Server.Auth;

/// <summary>
/// The one seam through which every <c>/v2</c> request is authorised. A deployment picks one implementation at
/// start-up: none, htpasswd (Basic) or token (Bearer JWT from the index).
/// </summary>
public interface IAccessController
{
    ValueTask<AccessGrant> AuthorizeAsync(HttpContext context, IReadOnlyList<AccessRequest> required, CancellationToken cancellationToken);

    /// <summary>
    /// Narrows a catalog listing to what the caller may see; null means everything. Called after the
    /// catalog access itself was granted.
    /// </summary>
    ValueTask<IReadOnlyCollection<string>?> VisibleRepositoriesAsync(AccessGrant grant, CancellationToken cancellationToken);
}
