namespace Berth.Data.Entities;

/// <summary>Ordered: each level includes the ones below it.</summary>
public enum AccessLevel
{
    None = 0,
    Read = 1,
    Write = 2,
    Admin = 3,
}

/// <summary>A grant on one repository to one account (a collaborator) or one team. Exactly one of the two is set.</summary>
public sealed class RepositoryPermission
{
    public long Id { get; set; }

    public long RepositoryId { get; set; }

    public long? AccountId { get; set; }

    public long? TeamId { get; set; }

    public AccessLevel Level { get; set; }
}
