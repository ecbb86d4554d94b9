using System.Collections.Concurrent;
using Berth.Registry.Events;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Index.Events;

/// <summary>
/// All-in-one: registry events go straight into the index's records. Pushes and deletes are applied before
/// the registry's response completes, so the index never lags what a client just saw; pulls are only counted
/// here and written in batches (<see cref="FlushPullsAsync"/>), so a manifest GET costs no database write.
/// </summary>
public sealed class InProcessEventSink(IServiceScopeFactory scopes) : IRegistryEventSink
{
    private readonly ConcurrentDictionary<string, long> _pulls = new(StringComparer.Ordinal);

    public async ValueTask PublishAsync(RegistryEvent registryEvent, CancellationToken cancellationToken)
    {
        if (registryEvent.Action == RegistryActions.Pull)
        {
            _pulls.AddOrUpdate(registryEvent.Repository, 1, static (_, n) => n + 1);
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IndexRecords>().ApplyAsync(registryEvent, cancellationToken);
    }

    /// <summary>Writes the pull counts gathered since the last flush.</summary>
    public async Task FlushPullsAsync(CancellationToken cancellationToken)
    {
        if (_pulls.IsEmpty)
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var records = scope.ServiceProvider.GetRequiredService<IndexRecords>();
        foreach (var repository in _pulls.Keys)
        {
            if (_pulls.TryRemove(repository, out var count))
            {
                await records.AddPullsAsync(repository, count, cancellationToken);
            }
        }
    }
}
