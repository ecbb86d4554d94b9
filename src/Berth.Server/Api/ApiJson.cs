using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Index.TagPolicies;

namespace Berth.Server.Api;

/// <summary>
/// Source-generated JSON for the REST API. Request bodies are read strictly: a missing required property or a
/// null where none is allowed is a 400, not a half-filled object.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(Account))]
[JsonSerializable(typeof(PublicAccount))]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(ChangePasswordRequest))]
[JsonSerializable(typeof(CreateTokenRequest))]
[JsonSerializable(typeof(List<AccessToken>))]
[JsonSerializable(typeof(CreatedAccessToken))]
[JsonSerializable(typeof(CreateOrganizationRequest))]
[JsonSerializable(typeof(Organization))]
[JsonSerializable(typeof(SetMemberRequest))]
[JsonSerializable(typeof(CreateTeamRequest))]
[JsonSerializable(typeof(Team))]
[JsonSerializable(typeof(List<RepositorySummary>))]
[JsonSerializable(typeof(Repository))]
[JsonSerializable(typeof(List<Tag>))]
[JsonSerializable(typeof(CreateRepositoryRequest))]
[JsonSerializable(typeof(UpdateRepositoryRequest))]
[JsonSerializable(typeof(List<Collaborator>))]
[JsonSerializable(typeof(SetLevelRequest))]
[JsonSerializable(typeof(CommentRequest))]
[JsonSerializable(typeof(Comment))]
[JsonSerializable(typeof(List<Comment>))]
[JsonSerializable(typeof(SearchPage))]
[JsonSerializable(typeof(List<AuditRecord>))]
[JsonSerializable(typeof(DockerSearchResults))]
[JsonSerializable(typeof(DockerPing))]
[JsonSerializable(typeof(CreateWebhookRequest))]
[JsonSerializable(typeof(UpdateWebhookRequest))]
[JsonSerializable(typeof(Webhook))]
[JsonSerializable(typeof(List<Webhook>))]
[JsonSerializable(typeof(CreatedWebhook))]
[JsonSerializable(typeof(WebhookDeliverySummary))]
[JsonSerializable(typeof(List<WebhookDeliverySummary>))]
[JsonSerializable(typeof(WebhookDeliveryDetails))]
[JsonSerializable(typeof(CreateTagRuleRequest))]
[JsonSerializable(typeof(TagRuleInfo))]
[JsonSerializable(typeof(List<TagRuleInfo>))]
[JsonSerializable(typeof(CreateRetentionPolicyRequest))]
[JsonSerializable(typeof(RetentionPolicyInfo))]
[JsonSerializable(typeof(List<RetentionPolicyInfo>))]
internal sealed partial class ApiJson : JsonSerializerContext;
