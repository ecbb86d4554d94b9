namespace Berth.Server.Auth;

/// <summary><c>--auth none</c>: everything is allowed; for a registry on a trusted network (seed scenario D).</summary>
internal sealed class NoAccessControl : IAccessController
{
    private static readonly AccessGrant Everything = AccessGrant.Allow(null, static (_, _, _) => true);

    public ValueTask<AccessGrant> AuthorizeAsync(HttpContext context, IReadOnlyList<AccessRequest> required, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Everything);

    public ValueTask<IQueryable<string>?> VisibleRepositoriesAsync(HttpContext context, AccessGrant grant, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IQueryable<string>?>(null);
}
