namespace Berth.Data.Entities;

/// <summary>
/// One name that owns repositories: a user's or an organisation's. Users and organisations share this table, so the
/// database's unique index on <see cref="Name"/> is what makes a name belong to one of them only, whatever races.
/// Permissions compare namespace ids and kinds, never names.
/// </summary>
public sealed class NamespaceRecord
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public NamespaceKind Kind { get; set; }
}

public enum NamespaceKind
{
    User = 0,
    Organization = 1,
}
