using Berth.Data.Postgres;
using Npgsql;

namespace Berth.Postgres.Tests;

/// <summary>Berth prepares its statements on PostgreSQL unless the operator's connection string says otherwise.</summary>
public sealed class ConnectionTuningTests
{
    [Fact]
    public void An_unset_max_auto_prepare_gets_berths_default_and_the_rest_is_kept()
    {
        var tuned = new NpgsqlConnectionStringBuilder(PostgresBerthDbContext.Tuned("Host=/run/pg;Username=berth;Database=reg;Timeout=7"));

        Assert.Equal(64, tuned.MaxAutoPrepare);
        Assert.Equal("/run/pg", tuned.Host);
        Assert.Equal("reg", tuned.Database);
        Assert.Equal(7, tuned.Timeout);
    }

    [Theory]
    [InlineData("Host=h;Max Auto Prepare=0", 0)]
    [InlineData("Host=h;MaxAutoPrepare=5", 5)]
    [InlineData("Host=h;max auto prepare=12", 12)]
    public void The_operators_max_auto_prepare_wins(string connectionString, int expected) =>
        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(PostgresBerthDbContext.Tuned(connectionString)).MaxAutoPrepare);
}
