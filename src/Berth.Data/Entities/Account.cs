namespace Berth.Data.Entities;

/// <summary>A user. Its name is also a namespace: the user may create repositories under it.</summary>
public sealed class Account
{
    public long Id { get; set; }

    public required string Name { get; set; }

    /// <summary>The user's row in <c>namespaces</c>, inserted in the same transaction as the account.</summary>
    public long? NamespaceId { get; set; }

    public string? Email { get; set; }

    /// <summary>bcrypt hash of the password.</summary>
    public required string PasswordHash { get; set; }

    public bool IsAdmin { get; set; }

    public bool IsDisabled { get; set; }

    public DateTime CreatedAt { get; set; }
}
