using Berth.Oci;

namespace Berth.Server.Auth;

/// <summary>HTTP method + route → the access a request needs. The single place that decides it, so endpoints cannot drift.</summary>
public static class RequiredAccess
{
    public static IReadOnlyList<AccessRequest> For(string method, RegistryRoute route)
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
            // Uploads write; a mount's source repository is checked separately (no access there means a plain upload).
            RouteKind.UploadStart or RouteKind.Upload => [AccessRequest.Repository(name, AccessRequest.Pull, AccessRequest.Push)],
            _ => [],
        };
    }
}
