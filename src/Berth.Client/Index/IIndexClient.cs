namespace Berth.Client.Index;

/// <summary>
/// The Berth index REST API (<c>/api/v1</c>, docs/API.md) of one host: search, repositories, stars and comments.
/// Requests carry the host's stored credentials as HTTP Basic (a password or a personal access token), or none
/// (anonymous: public reads only). Failures are <see cref="Registry.RegistryException"/>s whose kind says what went wrong.
/// </summary>
public interface IIndexClient : IDisposable
{
    /// <summary><c>host[:port]</c>.</summary>
    string Registry { get; }

    Uri BaseUri { get; }

    /// <summary>One page of repositories the caller may read, ranked by the index (<paramref name="pageSize"/> 1–100).</summary>
    Task<SearchPage> SearchAsync(string query, int page, int pageSize, CancellationToken cancellationToken);

    Task<RepositoryInfo> GetRepositoryAsync(string name, CancellationToken cancellationToken);

    /// <summary>Creates a repository; <paramref name="visibility"/> null leaves it to the index (private unless configured otherwise).</summary>
    Task<RepositoryInfo> CreateRepositoryAsync(string name, RepositoryVisibility? visibility, string? description, CancellationToken cancellationToken);

    /// <summary>Changes what is not null; an empty <paramref name="description"/> clears it.</summary>
    Task<RepositoryInfo> UpdateRepositoryAsync(string name, RepositoryVisibility? visibility, string? description, CancellationToken cancellationToken);

    /// <summary>Deletes the repository, its tags and manifests (blobs are left for garbage collection).</summary>
    Task DeleteRepositoryAsync(string name, CancellationToken cancellationToken);

    /// <summary>Stars (true) or unstars (false) the repository for the caller; idempotent.</summary>
    Task SetStarAsync(string name, bool starred, CancellationToken cancellationToken);

    /// <summary>Every comment, oldest first (all pages).</summary>
    Task<IReadOnlyList<RepositoryComment>> ListCommentsAsync(string name, CancellationToken cancellationToken);

    Task<RepositoryComment> AddCommentAsync(string name, string body, CancellationToken cancellationToken);

    /// <summary>
    /// <c>POST /api/v1/users</c>: creates an account, as anyone while the index allows sign-up, else with an
    /// administrator's credentials (only administrators may create administrators).
    /// </summary>
    Task<AccountInfo> CreateAccountAsync(string name, string password, string? email, bool isAdmin, CancellationToken cancellationToken);

    /// <summary>
    /// Creates a webhook (admins of <paramref name="owner"/>); <paramref name="events"/> null subscribes to every event
    /// type. The answer carries the signing secret, which is shown only here and by <see cref="RotateWebhookSecretAsync"/>.
    /// </summary>
    Task<CreatedWebhookInfo> CreateWebhookAsync(
        WebhookOwner owner, string url, IReadOnlyList<string>? events, bool enabled, string? description, CancellationToken cancellationToken);

    Task<IReadOnlyList<WebhookInfo>> ListWebhooksAsync(WebhookOwner owner, CancellationToken cancellationToken);

    Task<WebhookInfo> GetWebhookAsync(WebhookOwner owner, long id, CancellationToken cancellationToken);

    /// <summary>Changes what is not null; an empty <paramref name="description"/> clears it.</summary>
    Task<WebhookInfo> UpdateWebhookAsync(
        WebhookOwner owner, long id, string? url, IReadOnlyList<string>? events, bool? enabled, string? description, CancellationToken cancellationToken);

    Task DeleteWebhookAsync(WebhookOwner owner, long id, CancellationToken cancellationToken);

    Task<CreatedWebhookInfo> RotateWebhookSecretAsync(WebhookOwner owner, long id, CancellationToken cancellationToken);

    /// <summary>Queues a ping delivery; the answer is the queued delivery.</summary>
    Task<WebhookDeliveryInfo> PingWebhookAsync(WebhookOwner owner, long id, CancellationToken cancellationToken);

    /// <summary>The newest <paramref name="count"/> deliveries (at most 100), newest first.</summary>
    Task<IReadOnlyList<WebhookDeliveryInfo>> ListWebhookDeliveriesAsync(WebhookOwner owner, long id, int count, CancellationToken cancellationToken);

    /// <summary>Queues a delivery again, with the same payload and message id; the answer is the new delivery.</summary>
    Task<WebhookDeliveryInfo> RedeliverWebhookAsync(WebhookOwner owner, long id, long delivery, CancellationToken cancellationToken);

    /// <summary>Makes the tags matching <paramref name="pattern"/> immutable (admins of <paramref name="owner"/>).</summary>
    Task<TagRuleInfo> CreateTagRuleAsync(WebhookOwner owner, string pattern, CancellationToken cancellationToken);

    Task<IReadOnlyList<TagRuleInfo>> ListTagRulesAsync(WebhookOwner owner, CancellationToken cancellationToken);

    /// <summary>Lifts a tag immutability rule.</summary>
    Task DeleteTagRuleAsync(WebhookOwner owner, long id, CancellationToken cancellationToken);

    /// <summary>Creates a retention policy; at least one of <paramref name="keepLast"/> and <paramref name="keepDays"/>.</summary>
    Task<RetentionPolicyInfo> CreateRetentionPolicyAsync(WebhookOwner owner, string pattern, int? keepLast, int? keepDays, CancellationToken cancellationToken);

    Task<IReadOnlyList<RetentionPolicyInfo>> ListRetentionPoliciesAsync(WebhookOwner owner, CancellationToken cancellationToken);

    Task DeleteRetentionPolicyAsync(WebhookOwner owner, long id, CancellationToken cancellationToken);
}
