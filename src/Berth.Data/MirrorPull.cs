namespace Berth.Data;

/// <summary>
/// Who may pull a mirrored upstream's repositories through Berth (<c>Berth:Mirrors:n:Pull</c>), cached or not. Shared
/// by the mirror's configuration, the index's permission decision and the rows the mirror creates.
/// </summary>
public enum MirrorPull
{
    /// <summary>Everyone, anonymous callers too, as a public repository (the default for an upstream without credentials).</summary>
    Anyone = 0,

    /// <summary>Any signed-in account (the default for an upstream with credentials: its content is not made public by accident).</summary>
    Users = 1,
}
