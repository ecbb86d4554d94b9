using Berth.Data.Entities;

namespace Berth.Index;

/// <summary>The index's settings, filled by the host from its configuration.</summary>
public sealed class IndexOptions
{
    /// <summary>Whether anyone may create an account (otherwise only admins can).</summary>
    public bool SignupEnabled { get; set; } = true;

    /// <summary>Visibility of repositories created by a push or the API without an explicit choice.</summary>
    public Visibility DefaultVisibility { get; set; } = Visibility.Private;

    /// <summary>bcrypt cost; 11 takes ~100 ms here, which is the point.</summary>
    public int BcryptWorkFactor { get; set; } = 11;

    /// <summary>Issuer (<c>iss</c>) of the tokens this index signs.</summary>
    public string TokenIssuer { get; set; } = "berth-index";

    /// <summary>The registry service name (<c>aud</c>) tokens are issued for.</summary>
    public string TokenService { get; set; } = "berth-registry";

    public int TokenLifetimeSeconds { get; set; } = 300;

    public int RefreshTokenLifetimeDays { get; set; } = 30;

    /// <summary>
    /// Whether the registry runs in this process. A separate registry cannot filter its catalog per user, so
    /// the index grants <c>registry:catalog:*</c> to admins only in that case.
    /// </summary>
    public bool RegistryInProcess { get; set; } = true;
}
