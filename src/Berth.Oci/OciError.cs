namespace Berth.Oci;

/// <summary>
/// An expected failure, returned as a value. <paramref name="Status"/> overrides the table's status where the
/// spec asks for a different one (413 for an oversized manifest, 416 for an out-of-order chunk).
/// </summary>
public sealed record OciError(OciErrorCode Code, string? Message = null, object? Detail = null, int? Status = null)
{
    public int HttpStatus => Status ?? Code.Info().Status;

    public string WireCode => Code.Info().Code;

    public string WireMessage => Message ?? Code.Info().Message;

    public override string ToString() => $"{WireCode}: {WireMessage}";
}
