using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Berth.Data.Postgres;

/// <summary>Lets <c>dotnet ef migrations add</c> build the context without the server (it never connects).</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresBerthDbContext>
{
    public PostgresBerthDbContext CreateDbContext(string[] args) =>
        new((DbContextOptions<PostgresBerthDbContext>)PostgresBerthDbContext.Configure(new DbContextOptionsBuilder<PostgresBerthDbContext>(), "Host=localhost;Database=berth_design").Options);
}
