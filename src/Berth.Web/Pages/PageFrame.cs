using Berth.Index.Accounts;

namespace Berth.Web.Pages;

/// <summary>What the page shell needs on every page: who is signed in, the form token for the sign-out button, the assets.</summary>
/// <param name="Path">The path and query of this page, where sign-in returns to.</param>
public sealed record PageFrame(
    Principal? Caller,
    string AntiforgeryField,
    string AntiforgeryToken,
    string StylesheetUrl,
    string ScriptUrl,
    bool SignupEnabled,
    string Path);
