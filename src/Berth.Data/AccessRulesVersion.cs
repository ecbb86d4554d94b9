using Berth.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Berth.Data;

/// <summary>
/// Moves whenever this process is about to save a row that decides who may do what: an account's admin or disabled
/// flag, a namespace, an organisation, its members and teams, a repository's visibility or existence, a collaborator.
/// Decisions cached from those rows (the registry's per-request access check) are dropped when it moves, so a change
/// made here applies to the next request; other nodes' cached decisions expire on their own within their short life.
/// </summary>
public sealed class AccessRulesVersion
{
    private long _value;

    public long Current => Interlocked.Read(ref _value);

    public void Bump() => Interlocked.Increment(ref _value);
}

/// <summary>Bumps <see cref="AccessRulesVersion"/> before a save that changes an access rule.</summary>
public sealed class AccessRulesInterceptor(AccessRulesVersion version) : SaveChangesInterceptor
{
    private readonly AccessRulesVersion _version = version;

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Check(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Check(eventData.Context);
        return ValueTask.FromResult(result);
    }

    /// <summary>For a rule written around EF Core's change tracker (plain SQL): bumps the version the context's interceptor moves.</summary>
    public static void RulesChanged(DbContext context)
    {
        var interceptors = context.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?.Interceptors ?? [];
        foreach (var interceptor in interceptors.OfType<AccessRulesInterceptor>())
        {
            interceptor._version.Bump();
        }
    }

    private void Check(DbContext? context)
    {
        if (context is not null && context.ChangeTracker.Entries().Any(ChangesAccess))
        {
            _version.Bump();
        }
    }

    private static bool ChangesAccess(EntityEntry entry) => entry.State switch
    {
        EntityState.Added or EntityState.Deleted => entry.Entity is Account or NamespaceRecord or Organization or OrganizationMember or Team or TeamMember or RepositoryPermission or RepositoryRecord,
        // Pushes and pulls modify repository and account rows all the time (last push, pull count, last login): only the
        // columns the decision reads count.
        EntityState.Modified => entry.Entity switch
        {
            RepositoryRecord => Modified(entry, nameof(RepositoryRecord.Visibility), nameof(RepositoryRecord.Namespace), nameof(RepositoryRecord.Name), nameof(RepositoryRecord.MirrorSource)),
            Account => Modified(entry, nameof(Account.IsAdmin), nameof(Account.IsDisabled), nameof(Account.Name), nameof(Account.NamespaceId)),
            NamespaceRecord or Organization or OrganizationMember or Team or TeamMember or RepositoryPermission => true,
            _ => false,
        },
        _ => false,
    };

    private static bool Modified(EntityEntry entry, params string[] properties) => properties.Any(p => entry.Property(p).IsModified);
}
