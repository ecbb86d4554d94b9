namespace Berth.Web.Pages;

/// <summary>What the host tells the UI.</summary>
public sealed class WebUiOptions
{
    /// <summary>The host (and port) pull commands name; null: the host the browser asked for.</summary>
    public string? RegistryHost { get; set; }

    /// <summary>The rate-limiting policy the API's sign-up uses, applied to the sign-up form too; null for none.</summary>
    public string? SignupRateLimitPolicy { get; set; }
}
