using Berth.Index.Webhooks;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Berth.Server.Webhooks;

/// <summary>
/// The delivery payload in the index's OpenAPI document: the <c>WebhookPayload</c> component schema, generated from the
/// type that is serialised, and one entry per event type under the document's <c>webhooks</c> (OpenAPI 3.1), each a
/// POST with that body and the Standard Webhooks headers.
/// </summary>
internal static class WebhookOpenApi
{
    private const string SchemaName = "WebhookPayload";

    public static IServiceCollection AddWebhookOpenApi(this IServiceCollection services) =>
        services.Configure<OpenApiOptions>("v1", options => options.AddDocumentTransformer(async (document, context, cancellationToken) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(WebhookPayload), null, cancellationToken);
            schema.Description = "The body of every webhook delivery (docs/WEBHOOKS.md): the Standard Webhooks envelope; push also carries Docker Hub's push_data and repository.";
            document.Components ??= new OpenApiComponents();
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[SchemaName] = schema;
            document.Webhooks ??= new Dictionary<string, IOpenApiPathItem>();
            foreach (var type in WebhookEventTypes.Subscribable.Append(WebhookEventTypes.Ping))
            {
                document.Webhooks[type] = new OpenApiPathItem
                {
                    Operations = new Dictionary<HttpMethod, OpenApiOperation>
                    {
                        [HttpMethod.Post] = new()
                        {
                            Summary = $"A '{type}' event, POSTed to the webhook's URL",
                            Description = "Signed as Standard Webhooks: webhook-id, webhook-timestamp (Unix seconds), webhook-signature (v1,<base64 HMAC-SHA256 of id.timestamp.body>).",
                            Parameters =
                            [
                                Header("webhook-id", "The message id (msg_…): the same for a redelivery, for deduplication"),
                                Header("webhook-timestamp", "Unix seconds when this attempt was signed"),
                                Header("webhook-signature", "v1,<base64 HMAC-SHA256 of '{webhook-id}.{webhook-timestamp}.{body}'> with the secret after whsec_, base64-decoded"),
                            ],
                            RequestBody = new OpenApiRequestBody
                            {
                                Required = true,
                                Content = new Dictionary<string, OpenApiMediaType>
                                {
                                    ["application/json"] = new() { Schema = new OpenApiSchemaReference(SchemaName, document) },
                                },
                            },
                            Responses = new OpenApiResponses
                            {
                                ["2XX"] = new OpenApiResponse { Description = "Delivered. Anything else (or no answer within the timeout) is retried; a redirect is not followed." },
                            },
                        },
                    },
                };
            }
        }));

    private static OpenApiParameter Header(string name, string description) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = true,
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };
}
