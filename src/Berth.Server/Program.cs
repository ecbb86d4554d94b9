using System.Threading.RateLimiting;
using Berth.Server.Api;
using Berth.Server.Endpoints;
using Berth.Server.Hosting;
using Microsoft.AspNetCore.Http.Features;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(CommandLine.Help);
    return 0;
}

args = CommandLine.ExpandFlags(args);

// Before anything is written: the database, blobs and keys are for this user only.
PrivateFiles.RestrictNewFiles();

// Settings ship next to the binary; the working directory is only where relative data paths start.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddInMemoryCollection(CommandLine.EnvironmentSettings());
builder.Configuration.AddCommandLine(args, CommandLine.Switches);
var options = builder.Configuration.GetSection(BerthOptions.Section).Get<BerthOptions>() ?? new BerthOptions();

if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["Kestrel:Endpoints:Http:Url"]))
{
    builder.WebHost.UseUrls(CommandLine.DefaultUrls);
}

builder.WebHost.ConfigureKestrel(kestrel =>
{
    // Small bodies everywhere unless an endpoint says otherwise (BodyLimits): blob uploads lift the limit, they
    // stream to storage; manifests, /token forms and event batches set their own.
    kestrel.Limits.MaxRequestBodySize = BodyLimits.Default;
    kestrel.AddServerHeader = false;
});

try
{
    PrivateFiles.CreateDataDirectory(options.FullDataDir);
    builder.Services.AddBerth(options);
}
catch (ConfigurationException e)
{
    Console.Error.WriteLine($"berth-server: {e.Message}");
    return 2;
}

builder.Services.Configure<FormOptions>(form =>
{
    // Only /token reads forms: a few short fields. The body limit refuses larger ones before they are buffered.
    form.ValueLengthLimit = BodyLimits.TokenForm;
    form.KeyLengthLimit = 1024;
    form.ValueCountLimit = 256;
    form.BufferBodyLengthLimit = BodyLimits.TokenForm;
    form.MultipartBodyLengthLimit = BodyLimits.TokenForm;
});
builder.Services.AddProblemDetails();
builder.Services.AddIndexApi();
builder.Services.AddRateLimiter(limiter =>
{
    // Per client address, a bound on load rather than on guessing (the login throttle stops guessing by counting
    // failures): a CI behind one NAT address fetching a token per request must fit. --token-rate-limit 0 turns it off.
    limiter.AddPolicy(TokenEndpoints.RateLimitPolicy, context => options.TokenRateLimit <= 0
        ? RateLimitPartition.GetNoLimiter("all")
        : RateLimitPartition.GetTokenBucketLimiter(
            context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Min(options.TokenRateLimit, 100_000) * 5,
                TokensPerPeriod = Math.Min(options.TokenRateLimit, 100_000),
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
            }));

    // Sign-up hashes a new password with bcrypt on every request: few per address.
    limiter.AddPolicy(AccountsApi.SignupRateLimitPolicy, context => RateLimitPartition.GetTokenBucketLimiter(
        context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
        _ => new TokenBucketRateLimiterOptions { TokenLimit = 100, TokensPerPeriod = 20, ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0 }));
    limiter.OnRejected = async (context, ct) =>
    {
        var http = context.HttpContext;
        http.Response.Headers.RetryAfter = "1";
        if (http.Request.Path.StartsWithSegments("/api"))
        {
            await Results.Problem("too many requests from this address; retry later", statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(http);
            return;
        }

        // Registry clients read the registry's error shape, also from the token endpoint.
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        await OciResponses.WriteErrorAsync(http, Berth.Oci.OciErrorCode.TooManyRequests);
    };
});

var app = builder.Build();
app.UseFaultResponses();
await app.Services.InitializeAsync(options, app.Lifetime.ApplicationStopping);
if (options.RunsRegistry)
{
    app.MapRegistryApi();
    app.MapRepositoryDeletionEndpoint(options);
}

app.UseRateLimiter();
if (options.RunsIndex)
{
    app.MapTokenEndpoints();
    app.MapIndexApi();
    if (options.NotifySecret is { Length: > 0 } secret)
    {
        app.MapGroup("").WithBodyLimit(BodyLimits.Events).MapEventEndpoints(secret);
    }
}

await app.RunAsync();
return 0;
