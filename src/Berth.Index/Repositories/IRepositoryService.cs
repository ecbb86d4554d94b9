using Berth.Data.Entities;
using Berth.Index.Accounts;

namespace Berth.Index.Repositories;

/// <summary>
/// Repository records: listing, creation ahead of a push, settings and deletion. A repository the caller may
/// not read is answered exactly like an absent one.
/// </summary>
public interface IRepositoryService
{
    /// <summary>The repositories the caller may see, by name, optionally in one namespace.</summary>
    Task<IReadOnlyList<RepositoryInfo>> ListAsync(Principal? caller, string? @namespace, PageRequest page, CancellationToken cancellationToken);

    /// <summary>Creates an empty repository in a namespace the caller may create in.</summary>
    Task<Outcome<RepositoryDetails>> CreateAsync(Principal caller, string name, Visibility? visibility, string? description, CancellationToken cancellationToken);

    Task<Outcome<RepositoryDetails>> GetAsync(Principal? caller, string name, CancellationToken cancellationToken);

    /// <summary>Changes visibility and/or description (null leaves a value as it is; an empty description clears it). Admin.</summary>
    Task<Outcome<RepositoryDetails>> UpdateAsync(Principal caller, string name, Visibility? visibility, string? description, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the record and, with it, its tags, manifests, blob links, permissions, stars and comments. Blobs stay
    /// for garbage collection. Admin, with a credential carrying <c>delete</c>.
    /// </summary>
    Task<Outcome<bool>> DeleteAsync(Principal caller, string name, CancellationToken cancellationToken);

    /// <summary>Tags, most recently pushed first.</summary>
    Task<Outcome<IReadOnlyList<TagInfo>>> ListTagsAsync(Principal? caller, string name, PageRequest page, CancellationToken cancellationToken);
}
