using Berth.Oci;

namespace Berth.Server.Auth;

/// <summary>HTTP method + route → the access a request needs. The single place that decides it, so endpoints cannot drift.</summary>
public static class RequiredAccess
{
    public static IReadOnlyList<AccessRequest> For(string method, RegistryRoute route, IQueryCollection? query = null)
    {
        var name = route.Name;
        return route.Kind switch
        {
            RouteKind.Base => [],
            RouteKind.Catalog => [AccessRequest.Catalog],
            RouteKind.Tags or RouteKind.Referrers => [AccessRequest.Repository(name, AccessRequest.Pull)],
            RouteKind.Manifest or RouteKind.Blob => method switch
            {
                "GET" or "HEAD" => [AccessRequest.Repository(name, AccessRequest.Pull)],
                "DELETE" => [AccessRequest.Repository(name, AccessRequest.Delete)],
                _ => [AccessRequest.Repository(name, AccessRequest.Pull, AccessRequest.Push)],
            },
            // A mount also wants pull on its source; without it the mount is a plain upload, so it is optional.
            RouteKind.UploadStart when method == "POST" && MountSource(query) is { } from =>
                [AccessRequest.Repository(name, AccessRequest.Pull, AccessRequest.Push), AccessRequest.Repository(from, AccessRequest.Pull) with { Optional = true }],
            RouteKind.UploadStart or RouteKind.Upload => [AccessRequest.Repository(name, AccessRequest.Pull, AccessRequest.Push)],
            _ => [],
        };
    }

    /// <summary>The <c>from</c> of <c>?mount=&amp;from=</c>, when it is a repository name.</summary>
    private static string? MountSource(IQueryCollection? query)
    {
        if (query is null || !query.ContainsKey("mount"))
        {
            return null;
        }

        string? from = query["from"];
        return RepositoryName.IsValid(from) ? from : null;
    }
}
