using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Berth.Data.Sqlite;

/// <summary>The SQLite flavour of the model; its migrations live beside it.</summary>
public sealed class SqliteBerthDbContext : BerthDbContext
{
    public SqliteBerthDbContext(DbContextOptions<SqliteBerthDbContext> options)
        : base(options)
    {
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the context without the server.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteBerthDbContext>
{
    public SqliteBerthDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteBerthDbContext>().UseSqlite("Data Source=design.db").Options);
}
