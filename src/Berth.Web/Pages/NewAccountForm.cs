namespace Berth.Web.Pages;

/// <summary>The fields the sign-up form and the site admin's create-account form share, read once for both.</summary>
/// <param name="Email">null when left empty.</param>
internal sealed record NewAccountForm(string Name, string? Email, string Password, string Confirm)
{
    /// <summary>The name to put back into the form after a refusal (an over-long one is not echoed).</summary>
    public string ShownName => Name.Length > 64 ? "" : Name;

    /// <summary>The e-mail address to put back into the form (an over-long one is not echoed).</summary>
    public string? ShownEmail => Email is { Length: > 255 } ? null : Email;

    public static NewAccountForm Read(IFormCollection form)
    {
        var email = ((string?)form["email"] ?? "").Trim();
        return new(((string?)form["name"] ?? "").Trim(), email.Length == 0 ? null : email, (string?)form["password"] ?? "", (string?)form["confirm"] ?? "");
    }
}
