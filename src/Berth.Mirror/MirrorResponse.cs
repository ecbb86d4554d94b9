namespace Berth.Mirror;

/// <summary>
/// What the mirror adds to the current request's answer (scoped): a <c>Warning</c> when a cached copy is served
/// because the upstream could not be asked. The /v2 edge writes it when the response starts.
/// </summary>
public sealed class MirrorResponse
{
    public const string StaleWarning = "110 - \"Response is stale\"";

    public string? Warning { get; set; }
}
