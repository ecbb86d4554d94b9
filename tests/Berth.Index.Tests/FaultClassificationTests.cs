using Berth.Oci;
using Berth.Server.Endpoints;
using Npgsql;

namespace Berth.Index.Tests;

/// <summary>
/// What a failure underneath a request tells the client: the database driver failing is the database going away (503,
/// retry), however the driver reports it; Berth's own failure is a bug (500). FaultTests meets the driver's odd
/// exceptions only when a PostgreSQL restart happens to catch a statement in flight; these pin the rule down.
/// </summary>
public sealed class FaultClassificationTests
{
    [Fact]
    public void An_exception_raised_inside_the_postgresql_driver_that_is_not_a_DbException_is_unavailable()
    {
        var thrown = Assert.ThrowsAny<Exception>(() => new NpgsqlConnectionStringBuilder { Port = -1 });
        Assert.IsNotAssignableFrom<System.Data.Common.DbException>(thrown);

        Assert.Equal(OciErrorCode.Unavailable, Faults.Classify(thrown)!.Code);
        Assert.Equal(OciErrorCode.Unavailable, Faults.Classify(new InvalidOperationException("wrapped", thrown))!.Code);
    }

    [Fact]
    public void The_drivers_own_exception_is_unavailable() =>
        Assert.Equal(OciErrorCode.Unavailable, Faults.Classify(new NpgsqlException("connection refused"))!.Code);

    [Fact]
    public void A_null_reference_in_berths_own_code_stays_an_internal_error()
    {
        var thrown = Assert.Throws<NullReferenceException>(() => Dereference(null));
        Assert.Equal(OciErrorCode.Unknown, Faults.Classify(thrown)!.Code);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static int Dereference(string? text) => text!.Length;
}
