using System.Globalization;
using Berth.Index;
using Berth.Index.Webhooks;
using Microsoft.OpenApi;

namespace Berth.Server.Api;

/// <summary>
/// Webhook management, one set of handlers for the three scopes: <c>/repositories/{name}/-/webhooks…</c> (through
/// <see cref="RepositoriesApi"/>'s route table, since names contain slashes), <c>/orgs/{org}/webhooks…</c> and
/// <c>/user/webhooks…</c> (mapped here). Every route needs a signed-in caller; <see cref="IWebhookService"/> decides
/// the rest.
/// </summary>
internal static class WebhooksApi
{
    public const string Tag = "Webhooks";

    /// <summary><see cref="WebhookIds.Id"/> and <see cref="WebhookIds.Delivery"/> are 0 where the route has no such segment.</summary>
    public delegate Task<IResult> Handler(HttpContext http, WebhookScope scope, WebhookIds ids, CancellationToken cancellationToken);

    /// <param name="Resource">Relative to the scope, with at most <c>{id}</c> and then <c>{delivery}</c>.</param>
    public sealed record Route(string Method, string Resource, Handler Handle, string Summary, Action<RouteHandlerBuilder> Describe);

    public static readonly Route[] Routes =
    [
        new("GET", "webhooks", ListAsync, "Webhooks, oldest first, without their secrets (admins)",
            b => b.Produces<List<Webhook>>().Denials()),
        new("POST", "webhooks", CreateAsync, "Create a webhook; the answer carries its signing secret, shown only here (admins; at most 20 per scope)",
            b => b.Accepts<CreateWebhookRequest>(ApiResults.Json).Produces<CreatedWebhook>(StatusCodes.Status201Created)
                .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).Denials()),
        new("GET", "webhooks/{id}", GetAsync, "A webhook, without its secret (admins)",
            b => b.Produces<Webhook>().Denials()),
        new("PATCH", "webhooks/{id}", UpdateAsync, "Change a webhook's url, events, description or enabled flag; enabling clears why Berth disabled it (admins)",
            b => b.Accepts<UpdateWebhookRequest>(ApiResults.Json).Produces<Webhook>().ProducesProblem(StatusCodes.Status400BadRequest).Denials()),
        new("DELETE", "webhooks/{id}", DeleteAsync, "Delete a webhook and its delivery log (admins)",
            b => b.Produces(StatusCodes.Status204NoContent).Denials()),
        new("POST", "webhooks/{id}/rotate-secret", RotateSecretAsync, "Replace the signing secret; the answer carries the new one, shown only here (admins)",
            b => b.Produces<CreatedWebhook>().Denials()),
        new("POST", "webhooks/{id}/ping", PingAsync, "Queue a ping delivery, whatever events the webhook subscribes to (admins)",
            b => b.Produces<WebhookDeliverySummary>(StatusCodes.Status202Accepted).Denials()),
        new("GET", "webhooks/{id}/deliveries", DeliveriesAsync, "The delivery log, newest first (admins)",
            b => b.Paged().Produces<List<WebhookDeliverySummary>>().Denials()),
        new("GET", "webhooks/{id}/deliveries/{delivery}", DeliveryAsync, "One delivery: its payload as sent and every attempt (admins)",
            b => b.Produces<WebhookDeliveryDetails>().Denials()),
        new("POST", "webhooks/{id}/deliveries/{delivery}/redeliver", RedeliverAsync, "Queue the delivery again, with the same payload and message id (admins)",
            b => b.Produces<WebhookDeliverySummary>(StatusCodes.Status202Accepted).Denials()),
    ];

    /// <summary><c>/orgs/{org}/webhooks…</c> and <c>/user/webhooks…</c>.</summary>
    public static void MapWebhooksApi(this RouteGroupBuilder api)
    {
        api.MapGroup("/orgs/{org}").WithTags(Tag).MapScope(http => WebhookScope.Organization((string)http.GetRouteValue("org")!), "org");
        api.MapGroup("/user").WithTags(Tag).MapScope(_ => WebhookScope.User, null);
    }

    /// <summary>Runs a route for a scope, with the ids from the one <c>argument</c> of <see cref="RepositoriesApi"/>'s table ("7" or "7/12").</summary>
    public static Task<IResult> InvokeAsync(Route route, HttpContext http, WebhookScope scope, string? argument, CancellationToken cancellationToken) =>
        WebhookIds.TryParse(argument, out var ids)
            ? route.Handle(http, scope, ids, cancellationToken)
            : Task.FromResult(ApiResults.Problem(IndexError.NotFound($"webhook '{argument}'")));

    /// <summary>What every route may answer besides its success.</summary>
    private static RouteHandlerBuilder Denials(this RouteHandlerBuilder builder) =>
        builder.ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

    /// <param name="scopeParameter">The group's route parameter naming the scope, if any: read by <paramref name="scope"/>, not bound by the handlers, so described here.</param>
    private static void MapScope(this RouteGroupBuilder group, Func<HttpContext, WebhookScope> scope, string? scopeParameter)
    {
        foreach (var route in Routes)
        {
            string[] method = [route.Method];
            var pattern = "/" + route.Resource.Replace("{id}", "{id:long}", StringComparison.Ordinal).Replace("{delivery}", "{delivery:long}", StringComparison.Ordinal);
            RouteHandlerBuilder builder;
            if (route.Resource.Contains("{delivery}", StringComparison.Ordinal))
            {
                builder = group.MapMethods(pattern, method, (HttpContext http, long id, long delivery, CancellationToken ct) =>
                    route.Handle(http, scope(http), new WebhookIds(id, delivery), ct));
            }
            else if (route.Resource.Contains("{id}", StringComparison.Ordinal))
            {
                builder = group.MapMethods(pattern, method, (HttpContext http, long id, CancellationToken ct) => route.Handle(http, scope(http), new WebhookIds(id, 0), ct));
            }
            else
            {
                builder = group.MapMethods(pattern, method, (HttpContext http, CancellationToken ct) => route.Handle(http, scope(http), default, ct));
            }

            builder.RequireLogin().WithSummary(route.Summary);
            route.Describe(builder);
            if (scopeParameter is not null)
            {
                builder.AddOpenApiOperationTransformer((operation, _, _) =>
                {
                    operation.Parameters ??= [];
                    operation.Parameters.Insert(0, new OpenApiParameter
                    {
                        Name = scopeParameter,
                        In = ParameterLocation.Path,
                        Required = true,
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    });
                    return Task.CompletedTask;
                });
            }
        }
    }

    private static IWebhookService Webhooks(HttpContext http) => http.RequestServices.GetRequiredService<IWebhookService>();

    private static async Task<IResult> ListAsync(HttpContext http, WebhookScope scope, WebhookIds ids, CancellationToken cancellationToken) =>
        ApiResults.From(await Webhooks(http).ListAsync(http.User(), scope, cancellationToken), l => l.Select(ApiMapping.ToWebhook).ToList(), ApiJson.Default.ListWebhook);

    private static async Task<IResult> CreateAsync(HttpContext http, WebhookScope scope, WebhookIds ids, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.CreateWebhookRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        var request = body.Value;
        var created = await Webhooks(http).CreateAsync(
            http.User(), scope, new WebhookSettings(request.Url, request.Events, request.Enabled ?? true, request.Description), cancellationToken);
        return created.IsSuccess
            ? ApiResults.Created(http, $"{ScopePath(http)}/{created.Value.Webhook.Id.ToString(CultureInfo.InvariantCulture)}", ApiMapping.ToCreatedWebhook(created.Value), ApiJson.Default.CreatedWebhook)
            : ApiResults.Problem(created.Error);
    }

    private static async Task<IResult> GetAsync(HttpContext http, WebhookScope scope, WebhookIds ids, CancellationToken cancellationToken) =>
        ApiResults.From(await Webhooks(http).GetAsync(http.User(), scope, ids.Id, cancellationToken), ApiMapping.ToWebhook, ApiJson.Default.Webhook);

    private static async Task<IResult> UpdateAsync(HttpContext http, WebhookScope scope, WebhookIds ids, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.UpdateWebhookRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        var request = body.Value;
        var updated = await Webhooks(http).UpdateAsync(
            http.User(), scope, ids.Id, new WebhookChanges(request.Url, request.Events, request.Enabled, request.Description), cancellationToken);
        return ApiResults.From(updated, ApiMapping.ToWebhook, ApiJson.Default.Webhook);
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, WebhookScope scope, WebhookIds ids, CancellationToken cancellationToken) =>
        ApiResults.NoContent(await Webhooks(http).DeleteAsync(http.User(), scope, ids.Id, cancellationToken));

    private static async Task<IResult> RotateSecretAsync(HttpContext http, WebhookScope scope, WebhookIds ids, CancellationToken cancellationToken) =>
        ApiResults.From(await Webhooks(http).RotateSecretAsync(http.User(), scope, ids.Id, cancellationToken), ApiMapping.ToCreatedWebhook, ApiJson.Default.CreatedWebhook);

    private static async Task<IResult> PingAsync(HttpContext http, WebhookScope scope, WebhookIds ids, CancellationToken cancellationToken)
    {
        var caller = http.User();
        var webhook = await Webhooks(http).FindWebhookAsync(caller, scope, ids.Id, cancellationToken);
        if (!webhook.IsSuccess)
        {
            return ApiResults.Problem(webhook.Error);
        }

        var queued = await http.RequestServices.GetRequiredService<IWebhookQueue>().PingAsync(webhook.Value, caller.Name, cancellationToken);
        return Results.Json(ApiMapping.ToDeliverySummary(queued), ApiJson.Default.WebhookDeliverySummary, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> DeliveriesAsync(HttpContext http, WebhookScope scope, WebhookIds ids, CancellationToken cancellationToken)
    {
        var page = ApiResults.Page(http);
        if (!page.IsSuccess)
        {
            return ApiResults.Problem(page.Error);
        }

        var deliveries = await Webhooks(http).ListDeliveriesAsync(http.User(), scope, ids.Id, page.Value, cancellationToken);
        return ApiResults.From(deliveries, l => l.Select(ApiMapping.ToDeliverySummary).ToList(), ApiJson.Default.ListWebhookDeliverySummary);
    }

    private static async Task<IResult> DeliveryAsync(HttpContext http, WebhookScope scope, WebhookIds ids, CancellationToken cancellationToken) =>
        ApiResults.From(await Webhooks(http).GetDeliveryAsync(http.User(), scope, ids.Id, ids.Delivery, cancellationToken), ApiMapping.ToDeliveryDetails, ApiJson.Default.WebhookDeliveryDetails);

    private static async Task<IResult> RedeliverAsync(HttpContext http, WebhookScope scope, WebhookIds ids, CancellationToken cancellationToken)
    {
        var delivery = await Webhooks(http).FindDeliveryAsync(http.User(), scope, ids.Id, ids.Delivery, cancellationToken);
        if (!delivery.IsSuccess)
        {
            return ApiResults.Problem(delivery.Error);
        }

        var queued = await http.RequestServices.GetRequiredService<IWebhookQueue>().RedeliverAsync(delivery.Value, cancellationToken);
        return Results.Json(ApiMapping.ToDeliverySummary(queued), ApiJson.Default.WebhookDeliverySummary, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>The request's path up to and including <c>webhooks</c>, for the created webhook's Location.</summary>
    private static string ScopePath(HttpContext http) => http.Request.PathBase + http.Request.Path.Value!.TrimEnd('/');
}

/// <summary>The numeric segments of a webhook route: the webhook's id and a delivery's.</summary>
internal readonly record struct WebhookIds(long Id, long Delivery)
{
    /// <summary>Null (no segment), "id" or "id/delivery", each a decimal number.</summary>
    public static bool TryParse(string? argument, out WebhookIds ids)
    {
        ids = default;
        if (argument is null)
        {
            return true;
        }

        var parts = argument.Split('/');
        long delivery = 0;
        if (parts.Length > 2 || !TryParseId(parts[0], out var id) || (parts.Length == 2 && !TryParseId(parts[1], out delivery)))
        {
            return false;
        }

        ids = new WebhookIds(id, delivery);
        return true;
    }

    private static bool TryParseId(string text, out long id) => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
}
