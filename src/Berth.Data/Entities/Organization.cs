namespace Berth.Data.Entities;

/// <summary>An organisation: a namespace owned by a group of accounts, with teams.</summary>
public sealed class Organization
{
    public long Id { get; set; }

    public required string Name { get; set; }

    /// <summary>The organisation's row in <c>namespaces</c>, inserted in the same transaction as the organisation.</summary>
    public long? NamespaceId { get; set; }

    public string? Description { get; set; }

    /// <summary>Whether plain members (not only owners) may create repositories in the namespace.</summary>
    public bool MembersCanCreateRepositories { get; set; }

    public DateTime CreatedAt { get; set; }
}

public enum OrganizationRole
{
    Member = 0,
    Owner = 1,
}

public sealed class OrganizationMember
{
    public long OrganizationId { get; set; }

    public long AccountId { get; set; }

    public OrganizationRole Role { get; set; }
}

public sealed class Team
{
    public long Id { get; set; }

    public long OrganizationId { get; set; }

    public required string Name { get; set; }
}

public sealed class TeamMember
{
    public long TeamId { get; set; }

    public long AccountId { get; set; }
}
