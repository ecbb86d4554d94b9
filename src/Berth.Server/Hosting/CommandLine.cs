using System.Collections;
using System.Reflection;

namespace Berth.Server.Hosting;

/// <summary>The command-line and environment contract of <c>berth-server</c>. Option names here are stable.</summary>
internal static class CommandLine
{
    public const string DefaultUrls = "http://127.0.0.1:5000";

    /// <summary>Switches and the configuration keys they set.</summary>
    public static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--data-dir"] = "Berth:DataDir",
        ["--role"] = "Berth:Role",
        ["--admin-password"] = "Berth:AdminPassword",
        ["--signup"] = "Berth:SignupEnabled",
        ["--default-visibility"] = "Berth:DefaultVisibility",
        ["--token-realm"] = "Berth:TokenRealm",
        ["--token-issuer"] = "Berth:TokenIssuer",
        ["--token-service"] = "Berth:TokenService",
        ["--token-jwks"] = "Berth:TokenJwks",
        ["--token-key"] = "Berth:TokenKey",
        ["--token-rate-limit"] = "Berth:TokenRateLimit",
        ["--index-url"] = "Berth:IndexUrl",
        ["--notify-secret"] = "Berth:NotifySecret",
        ["--registry-url"] = "Berth:RegistryUrl",
        ["--public-url"] = "Berth:PublicUrl",
        ["--trusted-proxies"] = "Berth:TrustedProxies",
        ["--deletion-retry-max-seconds"] = "Berth:DeletionRetryMaxSeconds",
        ["--auth"] = "Berth:Auth",
        ["--htpasswd"] = "Berth:Htpasswd",
        ["--storage"] = "Berth:Storage",
        ["--s3-endpoint"] = "Berth:S3Endpoint",
        ["--s3-bucket"] = "Berth:S3Bucket",
        ["--s3-region"] = "Berth:S3Region",
        ["--s3-access-key"] = "Berth:S3AccessKey",
        ["--s3-secret-key"] = "Berth:S3SecretKey",
        ["--s3-path-style"] = "Berth:S3PathStyle",
        ["--s3-redirect"] = "Berth:S3Redirect",
        ["--s3-prefix"] = "Berth:S3Prefix",
        ["--upload-idle-seconds"] = "Berth:UploadIdleSeconds",
        ["--gc-grace"] = "Berth:Gc:Grace",
        ["--gc-untagged-after"] = "Berth:Gc:UntaggedAfter",
        ["--gc-interval"] = "Berth:Gc:Interval",
        ["--database"] = "Berth:Database",
        ["--connection-string"] = "Berth:ConnectionString",
        ["--sqlite-synchronous"] = "Berth:SqliteSynchronous",
        ["--tls-cert"] = "Berth:TlsCert",
        ["--tls-key"] = "Berth:TlsKey",
        ["--log-format"] = "Berth:LogFormat",
        ["--access-log"] = "Berth:AccessLog",
        ["--metrics-urls"] = "Berth:MetricsUrls",
        ["--min-free-bytes"] = "Berth:MinFreeBytes",
        ["--shutdown-timeout-seconds"] = "Berth:ShutdownTimeoutSeconds",
        ["--webhook-timeout-seconds"] = "Berth:WebhookTimeoutSeconds",
        ["--webhook-retry-hours"] = "Berth:WebhookRetryHours",
        ["--webhook-disable-after-hours"] = "Berth:WebhookDisableAfterHours",
        ["--webhook-log-days"] = "Berth:WebhookLogDays",
        ["--webhook-allow-hosts"] = "Berth:WebhookAllowHosts",
    };

    public const string Help = """
        berth-server — an OCI / Docker registry.

        Usage: berth-server [options]
               berth-server admin reset-password NAME [--password PW | --password-stdin] [--data-dir DIR] …
                                                      (berth-server admin --help describes it)
               berth-server gc [--dry-run] [--grace DURATION] [database and storage options]
                                                      (one garbage-collection pass now; gc --help)

        Options (each also settable in appsettings.json under "Berth" and as an environment variable):
          --urls URLS                 Addresses to listen on (default http://127.0.0.1:5000)      ASPNETCORE_URLS
          --data-dir DIR              Database and blob storage directory (default ./data)        BERTH_DATA_DIR
          --role all|index|registry   What this process serves (default all: index, registry, tokens) BERTH_ROLE
          --auth none|htpasswd|token  Access control for /v2 (default token for role all, else none) BERTH_AUTH
          --htpasswd FILE             bcrypt htpasswd file for --auth htpasswd                    BERTH_HTPASSWD
          --storage filesystem|s3     Blob storage driver (default filesystem, in DATA_DIR/storage) BERTH_STORAGE
          --upload-idle-seconds N     Purge uploads untouched this long, and orphaned upload data BERTH_UPLOAD_IDLE_SECONDS
                                      (default 86400)
          --gc-grace DURATION         Garbage collection leaves candidates, and blob links no     BERTH_GC__GRACE
                                      manifest names, this long (default 24h; 0s, 30m, 7d …)
          --gc-untagged-after D       Delete untagged manifests (no kept index or subject refers BERTH_GC__UNTAGGEDAFTER
                                      to them) untagged this long (default off)
          --gc-interval DURATION      How often the collector runs (default 1h; off: on request) BERTH_GC__INTERVAL
          --database sqlite|postgres  Metadata database (default sqlite, DATA_DIR/berth.db)       BERTH_DATABASE
          --connection-string CS      Database connection string (sqlite: overrides the default   BERTH_CONNECTION_STRING
                                      file; postgres: required, e.g. Host=db;Database=berth;Username=u;Password=p)
          --sqlite-synchronous normal|full  SQLite commits: normal (default) syncs the log at     BERTH_SQLITE_SYNCHRONOUS
                                      checkpoints (a power loss can lose the last commits, a crash
                                      of the process nothing); full waits for the disk on each
          --min-free-bytes N          Free space the data directory's disk keeps: below it pushes BERTH_MIN_FREE_BYTES
                                      are refused (507), pulls go on (default 67108864 = 64 MiB; 0 = off)
          --shutdown-timeout-seconds N  On SIGTERM, how long requests in flight may finish       BERTH_SHUTDOWN_TIMEOUT_SECONDS
                                      (default 30; uploads stop at 3/4 of it, resumable)
          --trusted-proxies CIDRS     Load balancers (addresses or CIDRs, comma-separated) whose  BERTH_TRUSTED_PROXIES
                                      X-Forwarded-For/-Proto/-Host are honoured (default: none)
          --public-url URL            The URL clients reach this server at (a load balancer's):   BERTH_PUBLIC_URL
                                      role all: the token realm is URL/token; see also below
          --notify-endpoint NAME=URL  Send registry notifications (CNCF Distribution's envelope) Berth:Notifications
                                      to URL; repeatable. Headers, timeout, ignored media types   (docs/OPERATIONS.md)
                                      and actions: appsettings.json (Berth:Notifications:Endpoints)
          --mirror [NAME=]URL         Pull-through mirror of the registry at URL (docs/MIRROR.md): Berth:Mirrors
                                      without NAME every repository; with NAME (an upstream host,
                                      e.g. docker.io) repositories NAME/… and containerd's ?ns=NAME.
                                      Repeatable; credentials, tag TTL, official prefix, who may
                                      pull (Pull): appsettings.json (Berth:Mirrors)
          --tls-cert FILE             PEM certificate (and chain): serve the https:// URLs of     BERTH_TLS_CERT
                                      --urls with it (default URL then https://127.0.0.1:5000)
          --tls-key FILE              Its unencrypted PEM private key                             BERTH_TLS_KEY
          --log-format text|json      Console log lines: text (default) or one JSON object each   BERTH_LOG_FORMAT
          --access-log true|false     One log line per request, category Berth.Access (default true) BERTH_ACCESS_LOG
          --metrics-urls URLS         Serve /metrics only on these addresses, not on --urls       BERTH_METRICS_URLS

        S3-compatible storage (--storage s3):
          --s3-endpoint URL           The store, e.g. http://127.0.0.1:9000 (default: AWS S3)     BERTH_S3_ENDPOINT
          --s3-bucket NAME            Bucket holding blobs and uploads (required)                 BERTH_S3_BUCKET
          --s3-region R               Region to sign for (default us-east-1)                      BERTH_S3_REGION
          --s3-access-key K           Access key id (required)                                    BERTH_S3_ACCESS_KEY
          --s3-secret-key S           Secret access key (required)                                BERTH_S3_SECRET_KEY
          --s3-path-style             Bucket in the URL path, not the host name                   BERTH_S3_PATH_STYLE
          --s3-redirect               Blob GETs redirect (307) to a presigned URL valid 5 minutes BERTH_S3_REDIRECT
          --s3-prefix P               Keys under this prefix in the bucket                        BERTH_S3_PREFIX

        Index (roles all and index):
          --admin-password PW         Password of the 'admin' account made at first start         BERTH_ADMIN_PASSWORD
                                      (default: generated and printed once)
          --signup true|false         Whether anyone may sign up (default true)                   BERTH_SIGNUP_ENABLED
          --default-visibility V      private (default) or public, for repositories made by push  BERTH_DEFAULT_VISIBILITY
          --token-issuer NAME         iss of issued tokens (default berth-index)                  BERTH_TOKEN_ISSUER
          --token-service NAME        aud of issued tokens = the registry's name (berth-registry) BERTH_TOKEN_SERVICE
          --token-key FILE            EC P-256 PEM signing key (default DATA_DIR/keys/token-signing.pem) BERTH_TOKEN_KEY
          --token-rate-limit N        /token requests per second per client address (default 200; 0 = off) BERTH_TOKEN_RATE_LIMIT
          --notify-secret S           Accept signed events from separate registries, and sign the BERTH_NOTIFY_SECRET
                                      repository deletions sent to them
          --registry-url URL          A registry owed every repository deletion, besides those    BERTH_REGISTRY_URL
                                      that reported the repository (needs --notify-secret)
          --deletion-retry-max-seconds N  Longest wait between retries of a deletion (default 300) BERTH_DELETION_RETRY_MAX_SECONDS
          --webhook-timeout-seconds N Time a webhook receiver has to answer (default 10)          BERTH_WEBHOOK_TIMEOUT_SECONDS
          --webhook-retry-hours H     How long a delivery is retried (default 24)                 BERTH_WEBHOOK_RETRY_HOURS
          --webhook-disable-after-hours H  A webhook failing this long is disabled (default 72)    BERTH_WEBHOOK_DISABLE_AFTER_HOURS
          --webhook-log-days N        Days finished deliveries are kept in the log (default 30)   BERTH_WEBHOOK_LOG_DAYS
          --webhook-allow-hosts LIST  Hosts, addresses or CIDRs webhooks may reach although       BERTH_WEBHOOK_ALLOW_HOSTS
                                      internal (loopback, private, link-local); default none

        Separate registry (role registry with --auth token):
          --token-realm URL           The index's token endpoint, e.g. http://index:5000/token    BERTH_TOKEN_REALM
          --token-issuer NAME         Issuer to trust                                             BERTH_TOKEN_ISSUER
          --token-jwks URL|FILE       The index's keys, e.g. http://index:5000/.well-known/jwks.json BERTH_TOKEN_JWKS
          --index-url URL             Where to report pushes and deletes (with --notify-secret)   BERTH_INDEX_URL
          --public-url URL            The URL the index reaches this registry at, to delete       BERTH_PUBLIC_URL
                                      repositories (default: the first --urls, 0.0.0.0/[::]/+/* as 127.0.0.1)

          -h, --help                  Show this help
          --version                   Show the version

        Any configuration key can be set as --Section:Key VALUE (e.g. --Logging:LogLevel:Default Debug).
        Exit codes: 0 stopped cleanly, 2 usage, 3 an address is in use, 4 data directory unusable, 5 database unusable,
        6 (admin commands) no such account, 7 TLS certificate or key unusable.

        TLS: --tls-cert/--tls-key, or Kestrel's own certificates in appsettings.json (Kestrel:Endpoints); behind a
        TLS-terminating proxy, --trusted-proxies. docs/OPERATIONS.md describes each.
        """;

    /// <summary>
    /// Repeatable: each <c>--notify-endpoint NAME=URL</c> adds one notification endpoint after those of the configuration
    /// files and the environment (<see cref="ExpandFlags"/> turns it into their keys).
    /// </summary>
    public const string NotifyEndpoint = "--notify-endpoint";

    /// <summary>
    /// Repeatable: each <c>--mirror URL</c> or <c>--mirror NAME=URL</c> adds one upstream after those of the configuration
    /// files and the environment (<see cref="ExpandFlags"/> turns it into <c>Berth:Mirrors</c> keys).
    /// </summary>
    public const string Mirror = "--mirror";

    /// <summary>Switches that may stand alone, meaning "true" (the configuration binder wants a value after each).</summary>
    public static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--s3-path-style", "--s3-redirect" };

    /// <summary>
    /// <c>--s3-redirect</c> → <c>--s3-redirect true</c> unless a value follows it; the k-th <c>--notify-endpoint NAME=URL</c>
    /// → <c>--Berth:Notifications:Endpoints:cliK:Name NAME --Berth:Notifications:Endpoints:cliK:Url URL</c> (keys that are
    /// not numbers: a list's items bound after the configuration files' <c>0</c>, <c>1</c>…, none replaced).
    /// </summary>
    public static string[] ExpandFlags(string[] args)
    {
        var expanded = new List<string>(args.Length + 2);
        var endpoints = 0;
        var mirrors = 0;
        for (var i = 0; i < args.Length; i++)
        {
            if (RepeatableValue(args, i, Mirror) is { } mirror)
            {
                var key = $"--Berth:Mirrors:cli{mirrors++}";
                if (SplitMirror(mirror.Value) is ({ } name, var url))
                {
                    expanded.AddRange([$"{key}:Name", name]);
                    expanded.AddRange([$"{key}:Url", url]);
                }
                else
                {
                    expanded.AddRange([$"{key}:Url", mirror.Value]);
                }

                i += mirror.Consumed - 1;
                continue;
            }

            if (NotifyEndpointValue(args, i) is { } endpoint)
            {
                var (name, url) = SplitEndpoint(endpoint.Value)!.Value;
                var key = $"--Berth:Notifications:Endpoints:cli{endpoints++}";
                expanded.AddRange([$"{key}:Name", name, $"{key}:Url", url]);
                i += endpoint.Consumed - 1;
                continue;
            }

            expanded.Add(args[i]);
            if (Flags.Contains(args[i]) && (i + 1 == args.Length || !bool.TryParse(args[i + 1], out _)))
            {
                expanded.Add("true");
            }
        }

        return [.. expanded];
    }

    /// <summary>Options the host itself reads, besides <see cref="Switches"/>.</summary>
    private static readonly string[] HostOptions = ["--urls", "--environment"];

    /// <summary>Every option name, for the usage error.</summary>
    public static IEnumerable<string> OptionNames =>
        HostOptions.Concat(Switches.Keys).Concat([NotifyEndpoint, Mirror, "--help", "--version"]).Order(StringComparer.Ordinal);

    /// <summary>The product version (the informational version carries the commit the build came from).</summary>
    public static string Version =>
        typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>
    /// What is wrong with the command line, or null. Known options take one value each (flags may stand alone);
    /// <c>--Section:Key value</c> sets any configuration key (appsettings.json's, e.g. <c>--Logging:LogLevel:Default</c>);
    /// <c>--name=value</c> is the same as <c>--name value</c>. Anything else would be silently ignored by the
    /// configuration binder, so a typo would start a server on defaults in the wrong place.
    /// </summary>
    public static string? Validate(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                return $"unexpected argument '{arg}'";
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg : arg[..equals];
            var known = Switches.ContainsKey(name) || name == NotifyEndpoint || name == Mirror || HostOptions.Contains(name, StringComparer.Ordinal) || name.Contains(':', StringComparison.Ordinal);
            if (!known)
            {
                return $"unknown option '{name}'";
            }

            if (name == Mirror)
            {
                if (RepeatableValue(args, i, Mirror) is not { } given || !Uri.TryCreate(SplitMirror(given.Value).Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                {
                    return $"option '{Mirror}' needs URL or NAME=URL, an absolute http(s) URL (e.g. {Mirror} https://registry-1.docker.io or {Mirror} docker.io=https://registry-1.docker.io)";
                }

                i += given.Consumed - 1;
                continue;
            }

            if (name == NotifyEndpoint)
            {
                if (NotifyEndpointValue(args, i) is not { } given || SplitEndpoint(given.Value) is null)
                {
                    return $"option '{NotifyEndpoint}' needs NAME=URL (e.g. {NotifyEndpoint} audit=https://hooks.example.com/registry)";
                }

                if (Notifications.NotificationEndpoint.UsableUrl(SplitEndpoint(given.Value)!.Value.Url) is null)
                {
                    return $"option '{NotifyEndpoint}': '{SplitEndpoint(given.Value)!.Value.Url}' is not an absolute http(s) URL (credentials go in a header, not the URL)";
                }

                i += given.Consumed - 1;
                continue;
            }

            if (equals >= 0 || (Flags.Contains(name) && (i + 1 == args.Count || !bool.TryParse(args[i + 1], out _))))
            {
                continue;
            }

            if (i + 1 == args.Count)
            {
                return $"option '{name}' needs a value";
            }

            i++;
        }

        return null;
    }

    /// <summary>The value of a <c>--notify-endpoint</c> at <paramref name="i"/> (given as <c>=value</c> or as the next argument) and how many arguments it took.</summary>
    private static (string Value, int Consumed)? NotifyEndpointValue(IReadOnlyList<string> args, int i)
    {
        if (args[i].StartsWith(NotifyEndpoint + "=", StringComparison.Ordinal))
        {
            return (args[i][(NotifyEndpoint.Length + 1)..], 1);
        }

        return args[i] == NotifyEndpoint && i + 1 < args.Count ? (args[i + 1], 2) : null;
    }

    /// <summary>The value of a repeatable option at <paramref name="i"/> (<c>=value</c> or the next argument) and how many arguments it took.</summary>
    private static (string Value, int Consumed)? RepeatableValue(IReadOnlyList<string> args, int i, string option)
    {
        if (args[i].StartsWith(option + "=", StringComparison.Ordinal))
        {
            return (args[i][(option.Length + 1)..], 1);
        }

        return args[i] == option && i + 1 < args.Count ? (args[i + 1], 2) : null;
    }

    /// <summary><c>NAME=URL</c> (a name before the first <c>=</c> that is no URL's start) or a bare <c>URL</c> (Name null).</summary>
    private static (string? Name, string Url) SplitMirror(string value)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        return equals > 0 && (scheme < 0 || equals < scheme) ? (value[..equals].Trim(), value[(equals + 1)..].Trim()) : (null, value.Trim());
    }

    /// <summary><c>NAME=URL</c> split at its first <c>=</c> (a URL may hold more); null when either side is empty.</summary>
    private static (string Name, string Url)? SplitEndpoint(string value)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        return equals <= 0 || equals == value.Length - 1 ? null : (value[..equals].Trim(), value[(equals + 1)..].Trim());
    }

    /// <summary><c>BERTH_DATA_DIR</c> → <c>Berth:DATADIR</c> (configuration keys ignore case).</summary>
    public static IEnumerable<KeyValuePair<string, string?>> EnvironmentSettings()
    {
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var name = (string)entry.Key;
            if (name.StartsWith("BERTH_", StringComparison.Ordinal) && name.Length > 6)
            {
                // A double underscore separates sections (BERTH_GC__GRACE is Berth:Gc:Grace), as in .NET's own provider.
                var key = string.Join(':', name[6..].Split("__").Select(part => part.Replace("_", "", StringComparison.Ordinal)));
                yield return new($"{BerthOptions.Section}:{key}", (string?)entry.Value);
            }
        }
    }
}
