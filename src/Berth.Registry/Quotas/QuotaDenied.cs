using Berth.Data.Quotas;
using Berth.Oci;

namespace Berth.Registry.Quotas;

/// <summary>A quota refusal as the OCI error a client sees: <c>DENIED</c> (403), the figures in the message and the detail.</summary>
public static class QuotaDenied
{
    public static OciError Error(QuotaRefusal refusal) => new(
        OciErrorCode.Denied,
        refusal.Message,
        new { @namespace = refusal.Namespace, usedBytes = refusal.UsedBytes, limitBytes = refusal.LimitBytes, neededBytes = refusal.NeededBytes });
}
