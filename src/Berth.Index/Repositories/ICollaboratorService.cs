using Berth.Data.Entities;
using Berth.Index.Accounts;

namespace Berth.Index.Repositories;

/// <summary>Who else may read, write or administer a repository: users, and teams of its organisation. Repository admins only.</summary>
public interface ICollaboratorService
{
    Task<Outcome<IReadOnlyList<CollaboratorInfo>>> ListAsync(Principal caller, string repository, PageRequest page, CancellationToken cancellationToken);

    Task<Outcome<bool>> SetUserAsync(Principal caller, string repository, string user, AccessLevel level, CancellationToken cancellationToken);

    Task<Outcome<bool>> RemoveUserAsync(Principal caller, string repository, string user, CancellationToken cancellationToken);

    /// <summary>Grants a team of the organisation that owns the repository.</summary>
    Task<Outcome<bool>> SetTeamAsync(Principal caller, string repository, string team, AccessLevel level, CancellationToken cancellationToken);

    Task<Outcome<bool>> RemoveTeamAsync(Principal caller, string repository, string team, CancellationToken cancellationToken);
}
