using Berth.Data.Entities;
using Berth.Index.Accounts;
using Berth.Index.Audit;

namespace Berth.Web.Pages;

/// <summary>What the new-token form held, to fill it again after a refusal.</summary>
/// <param name="ExpiresInDays">Null: never expires.</param>
public sealed record TokenDraft(string Name, TokenScopes Scopes, int? ExpiresInDays)
{
    public static TokenDraft Empty { get; } = new("", TokenScopes.Read, null);
}

/// <summary><c>/settings</c>: the account, its access tokens (never a secret), and the forms' messages.</summary>
/// <param name="Notice">What the last form did (after its redirect), or null.</param>
public sealed record SettingsModel(
    AccountInfo Account,
    IReadOnlyList<AccessTokenInfo> Tokens,
    int Page,
    bool HasNext,
    string? Notice,
    string? PasswordError,
    string? TokenError,
    TokenDraft Draft);

/// <summary>The answer to creating a token: the only page that ever holds its secret.</summary>
public sealed record TokenCreatedModel(string User, string Name, TokenScopes Scopes, DateTime? ExpiresAt, string Secret, string RegistryHost);

/// <summary>What the admin's new-account form held, to fill it again after a refusal (never the password).</summary>
public sealed record AccountDraft(string Name, string? Email, bool IsAdmin)
{
    public static AccountDraft Empty { get; } = new("", null, false);
}

/// <summary><c>/admin/users</c>.</summary>
public sealed record AdminUsersModel(DirectoryPage Directory, int Page, int PageCount, string? Notice, string? Error, AccountDraft Draft);

/// <summary><c>/admin/audit</c>: newest first.</summary>
public sealed record AdminAuditModel(IReadOnlyList<AuditEntry> Entries, int Page, bool HasNext);
