using Berth.Client.Registry;
using Berth.Oci;

namespace Berth.Mirror;

/// <summary>An upstream's refusal or failure as the spec's error for the mirror's client (never the upstream's credentials).</summary>
internal static class UpstreamErrors
{
    public static OciError For(RegistryException e, Upstream upstream, string repository, string what, OciErrorCode notFound) => e.Kind switch
    {
        RegistryErrorKind.NotFound when e.Code == "NAME_UNKNOWN" =>
            new OciError(OciErrorCode.NameUnknown, $"repository {repository} is not known to the upstream {upstream.Label}", new { name = repository }),
        RegistryErrorKind.NotFound => new OciError(notFound, $"{what} is not known to the upstream {upstream.Label}"),
        RegistryErrorKind.Unauthorized or RegistryErrorKind.Denied =>
            new OciError(OciErrorCode.Denied, $"the upstream {upstream.Label} refused the mirror access to {repository}"),
        _ => Unavailable(upstream, $"{what}: {e.Message}"),
    };

    public static OciError Unavailable(Upstream upstream, string detail) =>
        new(OciErrorCode.Unavailable, $"the upstream {upstream.Label} is unavailable and the mirror has no copy ({detail})");

    public static OciError PushRefused(string repository) =>
        new(OciErrorCode.Denied, $"{repository} is a pull-through mirror of an upstream registry: pushes and deletes are refused here");
}
