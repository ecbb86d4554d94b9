using Berth.Server.Api;
using Berth.Server.Endpoints;
using Berth.Server.Gc;
using Berth.Server.Hosting;
using Berth.Server.Quotas;
using Berth.Server.Webhooks;
using Berth.Web;
using Berth.Web.Pages;
using Microsoft.AspNetCore.Http.Features;
using Prometheus;

if (args is ["admin", .. var adminArgs])
{
    return await AdminCommands.RunAsync(adminArgs, CancellationToken.None);
}

if (args is ["gc", .. var gcArgs])
{
    return await GcCommand.RunAsync(gcArgs, CancellationToken.None);
}

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(CommandLine.Help);
    return ExitCodes.Success;
}

if (args.Contains("--version"))
{
    Console.WriteLine($"berth-server {CommandLine.Version}");
    return ExitCodes.Success;
}

if (CommandLine.Validate(args) is { } usage)
{
    Console.Error.WriteLine($"berth-server: {usage}");
    Console.Error.WriteLine($"valid options: {string.Join(' ', CommandLine.OptionNames)} (berth-server --help describes each)");
    return ExitCodes.Usage;
}

args = CommandLine.ExpandFlags(args);

// Before anything is written: the database, blobs and keys are for this user only.
PrivateFiles.RestrictNewFiles();

// Settings ship next to the binary; the working directory is only where relative data paths start.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddInMemoryCollection(CommandLine.EnvironmentSettings());
builder.Configuration.AddCommandLine(args, CommandLine.Switches);
var options = builder.Configuration.GetSection(BerthOptions.Section).Get<BerthOptions>() ?? new BerthOptions();

if (builder.UseTlsCertificate(options) is { } tls)
{
    Console.Error.WriteLine($"berth-server: {tls.Message}");
    return tls.ExitCode;
}

if (string.IsNullOrEmpty(builder.Configuration["urls"]) && !builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
{
    builder.WebHost.UseUrls(CommandLine.DefaultUrls);
}

if (ListenAddresses.FirstInUse(builder.Configuration["urls"] ?? "") is { } taken)
{
    Console.Error.WriteLine($"berth-server: cannot listen on {taken}: the address is already in use (choose another with --urls)");
    return ExitCodes.AddressInUse;
}

builder.WebHost.ConfigureKestrel(kestrel =>
{
    // Small bodies everywhere unless an endpoint says otherwise (BodyLimits): blob uploads lift the limit, they
    // stream to storage; manifests, /token forms and event batches set their own.
    kestrel.Limits.MaxRequestBodySize = BodyLimits.Default;
    kestrel.AddServerHeader = false;
});
builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();

IReadOnlyList<System.Net.IPNetwork> trustedProxies;
try
{
    trustedProxies = TrustedProxies.Parse(options.TrustedProxies);
    builder.AddBerthLogging(options);
    builder.AddMetricsListener(options);
    PrivateFiles.CreateWritableDataDirectory(options.FullDataDir);
    builder.Services.AddBerth(options);
    builder.Services.AddBerthMirror(options);
    builder.Services.AddWebhookDelivery(options);
    builder.Services.AddDiskSpace(options);
    builder.Services.AddGracefulShutdown(options);
    builder.Services.AddGarbageCollection(options);
}
catch (ConfigurationException e)
{
    Console.Error.WriteLine($"berth-server: {e.Message}");
    return ExitCodes.Usage;
}
catch (DatabaseConfigurationException e)
{
    Console.Error.WriteLine($"berth-server: cannot open the {options.Database} database: {e.Message}");
    return ExitCodes.Database;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"berth-server: cannot use the data directory {options.FullDataDir}: {e.Message}");
    return ExitCodes.DataDirectory;
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
builder.Services.AddReadiness();
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
app.UseAccessLog(options);
app.UseTrustedProxies(trustedProxies);
app.UseFaultResponses();
app.MapReadiness();

// Prometheus: Berth's own metrics (BerthMetrics), request durations by route template for endpoint-routed requests,
// and the .NET runtime's. Anonymous, as /readyz: no label carries a name, user or token. /v2 is timed by its own
// dispatcher (prometheus-net's middleware would label all of it with one empty route).
app.UseWhen(http => !http.Request.Path.StartsWithSegments("/v2"), branch => branch.UseHttpMetrics());
app.MapBerthMetrics(options);
try
{
    await app.Services.InitializeAsync(options, app.Lifetime.ApplicationStopping);
}
catch (Exception e) when (StartupFaults.DatabaseFault(e) is { } reason)
{
    Console.Error.WriteLine($"berth-server: cannot open the {options.Database} database: {reason}");
    return ExitCodes.Database;
}
if (options.RunsRegistry)
{
    app.MapRegistryApi();
    app.MapRepositoryDeletionEndpoint(options);
}

app.MapGarbageCollection(options);
if (options.RunsRegistry && options.RunsIndex)
{
    app.MapQuotasApi();
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

try
{
    await app.RunAsync();
}
catch (IOException e) when (StartupFaults.IsAddressInUse(e))
{
    Console.Error.WriteLine($"berth-server: {e.Message.TrimEnd('.')}; another process listens there (choose another with --urls)");
    return ExitCodes.AddressInUse;
}

return ExitCodes.Success;
