using Berth.Data.Entities;
using Berth.Data.Sqlite;
using Berth.Index.Permissions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Tests;

/// <summary>
/// What the <c>/v2</c> catalog shows the holder of a registry token, decided by the index from the token's subject and
/// site-admin claim alone (the server builds no principal). One in-memory database per test.
/// </summary>
public sealed class VisibleRepositoryNamesTests : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");
    private readonly SqliteBerthDbContext _db;

    public VisibleRepositoryNamesTests()
    {
        _connection.Open();
        _db = new SqliteBerthDbContext(new DbContextOptionsBuilder<SqliteBerthDbContext>().UseSqlite(_connection).Options);
        _db.Database.EnsureCreated();
        foreach (var (name, isAdmin, isDisabled) in new[] { ("alice", false, false), ("root", true, false), ("gone", true, true) })
        {
            var ns = new NamespaceRecord { Name = name, Kind = NamespaceKind.User };
            _db.Namespaces.Add(ns);
            _db.SaveChanges();
            _db.Accounts.Add(new Account { Name = name, NamespaceId = ns.Id, PasswordHash = "-", IsAdmin = isAdmin, IsDisabled = isDisabled });
        }

        foreach (var (name, visibility) in new[] { ("alice/own", Visibility.Private), ("bob/shown", Visibility.Public), ("bob/hidden", Visibility.Private), ("gone/own", Visibility.Private) })
        {
            _db.Repositories.Add(new RepositoryRecord { Name = name, Namespace = name[..name.IndexOf('/', StringComparison.Ordinal)], Visibility = visibility });
        }

        _db.SaveChanges();
    }

    public void Dispose()
    {
        _db.Dispose();
        _connection.Dispose();
    }

    [Theory]
    [InlineData(null, false, "bob/shown")]
    [InlineData("alice", false, "alice/own bob/shown")]
    [InlineData("alice", true, "alice/own bob/shown")] // site-admin powers count only for an admin account
    [InlineData("root", true, "alice/own bob/hidden bob/shown gone/own")]
    [InlineData("root", false, "bob/shown")] // an admin's token without admin powers (read-only) sees its own grants
    [InlineData("gone", true, "")] // a disabled account sees nothing, not even public repositories
    [InlineData("nobody", false, "")] // nor does an unknown subject
    public async Task The_token_subject_and_its_admin_claim_decide_what_is_listed(string? subject, bool siteAdmin, string expected)
    {
        var permissions = new PermissionService(_db);
        var names = await permissions.VisibleRepositoryNamesAsync(subject, siteAdmin, CancellationToken.None);
        Assert.Equal(expected, string.Join(' ', (await names.ToListAsync()).Order(StringComparer.Ordinal)));
    }
}
