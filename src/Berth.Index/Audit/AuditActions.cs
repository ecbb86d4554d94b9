namespace Berth.Index.Audit;

/// <summary>The audited actions (docs/API.md, "Audit").</summary>
public static class AuditActions
{
    public const string AccountCreated = "account.created";
    public const string LoginFailed = "login.failed";
    public const string LoginLocked = "login.locked";
    public const string PasswordChanged = "password.changed";
    public const string PasswordReset = "password.reset";
    public const string TokenCreated = "token.created";
    public const string TokenRevoked = "token.revoked";
    public const string OrganizationCreated = "org.created";
    public const string OrganizationMemberChanged = "org.member.changed";
    public const string TeamCreated = "team.created";
    public const string TeamMemberChanged = "team.member.changed";
    public const string RepositoryCreated = "repository.created";
    public const string RepositoryDeleted = "repository.deleted";
    public const string RepositoryVisibilityChanged = "repository.visibility.changed";
    public const string CollaboratorChanged = "collaborator.changed";
    public const string CommentDeleted = "comment.deleted";
    public const string WebhookCreated = "webhook.created";
    public const string WebhookUpdated = "webhook.updated";
    public const string WebhookDeleted = "webhook.deleted";
    public const string WebhookSecretRotated = "webhook.secret.rotated";
    public const string TagRuleCreated = "tagrule.created";
    public const string TagRuleDeleted = "tagrule.deleted";
    public const string RetentionPolicyCreated = "retention.created";
    public const string RetentionPolicyDeleted = "retention.deleted";
}
