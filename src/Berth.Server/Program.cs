using Berth.Server.Endpoints;
using Berth.Server.Hosting;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(CommandLine.Help);
    return 0;
}

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
    // Blobs can be any size; they are streamed, never buffered. Manifests are bounded where they are read.
    kestrel.Limits.MaxRequestBodySize = null;
    kestrel.AddServerHeader = false;
});

try
{
    builder.Services.AddBerth(options);
}
catch (ConfigurationException e)
{
    Console.Error.WriteLine($"berth-server: {e.Message}");
    return 2;
}

var app = builder.Build();
await app.Services.InitializeDatabaseAsync(app.Lifetime.ApplicationStopping);
app.MapRegistryApi();
await app.RunAsync();
return 0;
