using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Cli.Output;
using Berth.Client.Auth;
using Berth.Client.Http;
using Berth.Client.Registry;
using Berth.Client.Transfer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Cli;

/// <summary>What one invocation works with: output mode, credentials, registry clients, retry policy, upload journal.</summary>
internal sealed class CliContext : IDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public CliContext(ParseResult parse, GlobalOptions options)
    {
        Mode = parse.GetValue(options.Json) ? OutputMode.Json : parse.GetValue(options.Quiet) ? OutputMode.Quiet : OutputMode.Human;
        Parallelism = Math.Clamp(parse.GetValue(options.Parallel), 1, 64);
        Store = CredentialStores.Default(parse.GetValue(options.Config));
        Retry = new RetryPolicy { MaxAttempts = Math.Max(1, parse.GetValue(options.Retries)) };
        ICredentialProvider credentials = Store;
        if (parse.GetValue(options.Creds) is { } creds)
        {
            var colon = creds.IndexOf(':', StringComparison.Ordinal);
            credentials = colon > 0
                ? new EveryRegistry(new RegistryCredentials(creds[..colon], creds[(colon + 1)..]))
                : throw new UsageException("--creds takes USER:PASSWORD");
        }

        Credentials = credentials;
        PlainHttp = parse.GetValue(options.PlainHttp);
        Insecure = parse.GetValue(options.Insecure);
        LoggerFactory = parse.GetValue(options.Verbose) ? new StderrLoggerFactory(LogLevel.Debug) : NullLoggerFactory.Instance;
        Registries = CreateRegistries(credentials);
        Journal = new UploadJournal(Path.Combine(CacheDirectory(), "uploads"));
    }

    public OutputMode Mode { get; }

    /// <summary>Progress bars only for a person watching a terminal.</summary>
    public bool Interactive => Mode == OutputMode.Human && !Console.IsErrorRedirected;

    public int Parallelism { get; }

    public ICredentialStore Store { get; }

    public ICredentialProvider Credentials { get; }

    public RetryPolicy Retry { get; }

    public bool PlainHttp { get; }

    public bool Insecure { get; }

    public ILoggerFactory LoggerFactory { get; }

    public IRegistryClientFactory Registries { get; }

    public UploadJournal Journal { get; }

    public TextWriter Out => Console.Out;

    public TextWriter Error => Console.Error;

    public IRegistryClientFactory CreateRegistries(ICredentialProvider credentials) => RegistryClients.Create(new RegistryClientOptions
    {
        PlainHttp = PlainHttp,
        Insecure = Insecure,
        Credentials = credentials,
        Retry = Retry,
        LoggerFactory = LoggerFactory,
        MaxConnectionsPerServer = Math.Max(8, Parallelism * 2),
    });

    /// <summary>Human lines go to stdout only in human mode; JSON goes to stdout only in JSON mode.</summary>
    public void Human(string line)
    {
        if (Mode == OutputMode.Human)
        {
            Out.WriteLine(line);
        }
    }

    public void Quiet(string line)
    {
        if (Mode == OutputMode.Quiet)
        {
            Out.WriteLine(line);
        }
    }

    public void Json(JsonNode node)
    {
        if (Mode == OutputMode.Json)
        {
            Out.WriteLine(node.ToJsonString(Indented));
        }
    }

    public void Dispose() => Registries.Dispose();

    private static string CacheDirectory()
    {
        if (Environment.GetEnvironmentVariable("BERTH_CACHE_DIR") is { Length: > 0 } explicitDir)
        {
            return explicitDir;
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(xdg is { Length: > 0 } ? xdg : Path.Combine(home, ".cache"), "berth");
    }

    /// <summary><c>--creds</c>: the same account for every registry of the command.</summary>
    private sealed class EveryRegistry(RegistryCredentials credentials) : ICredentialProvider
    {
        public ValueTask<RegistryCredentials?> GetAsync(string registry, CancellationToken cancellationToken) =>
            ValueTask.FromResult<RegistryCredentials?>(credentials);
    }
}
