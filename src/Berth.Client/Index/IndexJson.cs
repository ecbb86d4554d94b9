using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Client.Index;

/// <summary>
/// Source-generated JSON for the index API: camelCase as the API writes it, nulls kept (the CLI's <c>--json</c> prints
/// documents as the API sent them). Reading is lenient: unknown properties are ignored.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RepositoryInfo))]
[JsonSerializable(typeof(List<RepositorySummary>))]
[JsonSerializable(typeof(List<RepositoryComment>))]
[JsonSerializable(typeof(RepositoryComment))]
[JsonSerializable(typeof(SearchPage))]
[JsonSerializable(typeof(CreateRepositoryRequest))]
[JsonSerializable(typeof(UpdateRepositoryRequest))]
[JsonSerializable(typeof(CommentRequest))]
[JsonSerializable(typeof(AccountInfo))]
[JsonSerializable(typeof(CreateAccountRequest))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(WebhookInfo))]
[JsonSerializable(typeof(List<WebhookInfo>))]
[JsonSerializable(typeof(CreatedWebhookInfo))]
[JsonSerializable(typeof(WebhookDeliveryInfo))]
[JsonSerializable(typeof(List<WebhookDeliveryInfo>))]
[JsonSerializable(typeof(CreateWebhookRequest))]
[JsonSerializable(typeof(UpdateWebhookRequest))]
[JsonSerializable(typeof(TagRuleInfo))]
[JsonSerializable(typeof(List<TagRuleInfo>))]
[JsonSerializable(typeof(RetentionPolicyInfo))]
[JsonSerializable(typeof(List<RetentionPolicyInfo>))]
[JsonSerializable(typeof(CreateTagRuleRequest))]
[JsonSerializable(typeof(CreateRetentionPolicyRequest))]
internal sealed partial class IndexJson : JsonSerializerContext;
