using Berth.Server.Api;
using Berth.Server.Endpoints;
using Berth.Server.Hosting;
using Berth.Web;
using Berth.Web.Pages;
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

IReadOnlyList<System.Net.IPNetwork> trustedProxies;
try
{
    trustedProxies = TrustedProxies.Parse(options.TrustedProxies);
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
if (options.RunsIndex)
{
    builder.Services.AddWebUi(new WebUiOptions
    {
        RegistryHost = string.IsNullOrWhiteSpace(options.PublicUrl) ? null : new Uri(PublicUrl.Resolve(options.PublicUrl, null)).Authority,
        SignupRateLimitPolicy = AccountsApi.SignupRateLimitPolicy,
    });
}

builder.Services.AddBerthRateLimits(options);

var app = builder.Build();
app.UseTrustedProxies(trustedProxies);
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
    app.MapWebUi();
    if (options.NotifySecret is { Length: > 0 } secret)
    {
        app.MapGroup("").WithBodyLimit(BodyLimits.Events).MapEventEndpoints(secret);
    }
}

await app.RunAsync();
return 0;
