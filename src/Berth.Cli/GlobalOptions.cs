using System.CommandLine;

namespace Berth.Cli;

/// <summary>Options every command takes, before or after its name.</summary>
internal sealed class GlobalOptions
{
    public Option<bool> PlainHttp { get; } = new("--plain-http")
    {
        Description = "Speak plain HTTP to registries (automatic for localhost and 127.0.0.1)",
        Recursive = true,
    };

    public Option<bool> Insecure { get; } = new("--insecure")
    {
        Description = "Accept any TLS certificate (self-signed registries)",
        Recursive = true,
    };

    public Option<string?> Creds { get; } = new("--creds")
    {
        Description = "USER:PASSWORD for the registries of this command, instead of the stored login",
        Recursive = true,
    };

    public Option<string?> Config { get; } = new("--config")
    {
        Description = "Directory of the docker config.json holding logins (default: $DOCKER_CONFIG, else ~/.docker)",
        Recursive = true,
    };

    public Option<bool> Quiet { get; } = new("--quiet", "-q")
    {
        Description = "Print only the result (a digest, a name per line); no progress",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the result as JSON on stdout; no progress",
        Recursive = true,
    };

    public Option<int> Parallel { get; } = new("--parallel", "-j")
    {
        // As many as skopeo (containers/image) uses: enough to hide round trips without crowding a small registry.
        Description = "Blobs transferred at once",
        DefaultValueFactory = _ => 6,
        Recursive = true,
    };

    public Option<int> Retries { get; } = new("--retries")
    {
        Description = "Attempts per request or blob before giving up (backoff between them)",
        DefaultValueFactory = _ => 5,
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Log HTTP retries and auth handshakes to stderr",
        Recursive = true,
    };

    public IEnumerable<Option> All => [PlainHttp, Insecure, Creds, Config, Quiet, Json, Parallel, Retries, Verbose];
}
