using Berth.Data.Entities;

namespace Berth.Index.Accounts;

/// <summary>One name on the site, as a site administrator sees it: a user's account or an organisation.</summary>
/// <param name="IsAdmin">A site administrator (users only).</param>
/// <param name="IsDisabled">Refused at every sign-in and token check (users only).</param>
public sealed record DirectoryEntry(string Name, NamespaceKind Kind, DateTime CreatedAt, bool IsAdmin, bool IsDisabled);

/// <summary>A page of <see cref="DirectoryEntry"/> rows and how many there are in all.</summary>
public sealed record DirectoryPage(IReadOnlyList<DirectoryEntry> Entries, int Total);

/// <summary>Every user and organisation of the site, by name, for site administrators (the web UI's <c>/admin/users</c>).</summary>
public interface IAccountDirectory
{
    /// <summary>Users and organisations ordered by name; 403 unless the caller acts as a site administrator.</summary>
    Task<Outcome<DirectoryPage>> ListAsync(Principal caller, PageRequest page, CancellationToken cancellationToken);
}
