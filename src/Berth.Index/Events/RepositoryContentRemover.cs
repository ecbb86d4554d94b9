namespace Berth.Index.Events;

/// <summary>
/// Seed scenario C: when the index deletes a repository, the registry's manifests and tags go too.
/// In one process the database cascade does it; separate registries are owed a deletion, delivered in the background.
/// </summary>
public interface IRepositoryContentRemover
{
    /// <summary>
    /// Called inside the index's delete transaction, before its <c>SaveChanges</c>: arranges for the content to go,
    /// so the arrangement commits (or rolls back) with the delete itself.
    /// </summary>
    Task ScheduleAsync(string repository, CancellationToken cancellationToken);

    /// <summary>Called once the delete has committed: start on what was scheduled.</summary>
    void Start();
}

/// <summary>The registry shares this process's database: deleting the repository record cascades to its content.</summary>
public sealed class CascadeContentRemover : IRepositoryContentRemover
{
    public Task ScheduleAsync(string repository, CancellationToken cancellationToken) => Task.CompletedTask;

    public void Start()
    {
    }
}
