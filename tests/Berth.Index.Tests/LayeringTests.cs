using System.Reflection;
using Berth.Data;
using Berth.Index.Permissions;
using Berth.Registry;

namespace Berth.Index.Tests;

/// <summary>
/// The roles stay apart: the registry is OCI semantics over storage and a database (no web framework, no password
/// hashing), the index knows the registry only through the contracts in <c>Berth.Data</c>, and <c>Berth.Data</c>
/// depends on neither. A reference added back shows up here, not in a review.
/// </summary>
public sealed class LayeringTests
{
    private static readonly Assembly Registry = typeof(RegistryCaller).Assembly;
    private static readonly Assembly Index = typeof(IPermissionService).Assembly;
    private static readonly Assembly Data = typeof(BerthDbContext).Assembly;

    private static IEnumerable<string> ReferencesOf(Assembly assembly) =>
        assembly.GetReferencedAssemblies().Select(a => a.Name ?? "");

    [Fact]
    public void The_registry_references_neither_ASP_NET_nor_BCrypt()
    {
        var offending = ReferencesOf(Registry)
            .Where(n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || n.StartsWith("BCrypt", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(offending);
    }

    [Fact]
    public void Kestrel_body_failures_reach_the_registry_as_an_IOException()
    {
        // The upload service catches IOException for a client that went away or sent less than it declared; it can
        // name no ASP.NET type, so this holds only while Kestrel's exception stays one.
        Assert.True(typeof(Microsoft.AspNetCore.Http.BadHttpRequestException).IsAssignableTo(typeof(IOException)));
    }

    [Fact]
    public void The_index_and_the_registry_do_not_reference_each_other()
    {
        Assert.DoesNotContain("Berth.Registry", ReferencesOf(Index));
        Assert.DoesNotContain("Berth.Index", ReferencesOf(Registry));
    }

    [Fact]
    public void The_shared_contracts_reference_neither_role()
    {
        var references = ReferencesOf(Data).ToList();
        Assert.DoesNotContain("Berth.Registry", references);
        Assert.DoesNotContain("Berth.Index", references);
        Assert.DoesNotContain("Berth.Server", references);
    }
}
