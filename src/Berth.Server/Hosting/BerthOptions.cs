namespace Berth.Server.Hosting;

/// <summary>
/// Everything an operator sets. Bound from the <c>Berth</c> section of appsettings.json, from <c>BERTH_*</c>
/// environment variables and from the command line (<see cref="CommandLine"/>), later sources winning.
/// </summary>
public sealed class BerthOptions
{
    public const string Section = "Berth";

    /// <summary>Where the database and the filesystem storage live.</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary><c>all</c> (index, registry and token service in one process), <c>index</c> or <c>registry</c>.</summary>
    public string Role { get; set; } = "all";

    /// <summary><c>none</c>, <c>htpasswd</c> or <c>token</c>; unset means <c>token</c> for role all, <c>none</c> for a registry.</summary>
    public string? Auth { get; set; }

    /// <summary>Password of the <c>admin</c> account created at first start; generated and printed once when unset.</summary>
    public string? AdminPassword { get; set; }

    public bool SignupEnabled { get; set; } = true;

    /// <summary><c>private</c> (default) or <c>public</c>: visibility of repositories created by a push.</summary>
    public string DefaultVisibility { get; set; } = "private";

    public int BcryptWorkFactor { get; set; } = 11;

    /// <summary>Where clients get tokens; default: <c>/token</c> on the host the request came to.</summary>
    public string? TokenRealm { get; set; }

    public string TokenIssuer { get; set; } = "berth-index";

    /// <summary>The registry's service name (token audience).</summary>
    public string TokenService { get; set; } = "berth-registry";

    /// <summary>A separate registry's trusted keys: a JWKS URL (the index's <c>/.well-known/jwks.json</c>) or file.</summary>
    public string? TokenJwks { get; set; }

    /// <summary>PEM of the index's EC P-256 signing key; default <c>DATA_DIR/keys/token-signing.pem</c>, generated once.</summary>
    public string? TokenKey { get; set; }

    public int TokenLifetimeSeconds { get; set; } = 300;

    /// <summary>Requests per second per client address to <c>/token</c> (bursts of five times as many); 0 = no limit.</summary>
    public int TokenRateLimit { get; set; } = 200;

    /// <summary>A separate registry's index, to report pushes and deletes to.</summary>
    public string? IndexUrl { get; set; }

    /// <summary>Shared secret that signs registry → index notifications and index → registry deletions (both sides).</summary>
    public string? NotifySecret { get; set; }

    // Split deployment, repository deletes (seed scenario C across processes).

    /// <summary>
    /// On an index: a registry owed every repository deletion, besides those that reported the repository in their
    /// events. Needs <see cref="NotifySecret"/>, which signs the deletions.
    /// </summary>
    public string? RegistryUrl { get; set; }

    /// <summary>
    /// The URL clients and the index reach this server at (e.g. the load balancer's). On a separate registry it is sent
    /// in its events (default: the first listen URL); on role all it also makes the token realm <c>PublicUrl/token</c>.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>Comma-separated addresses or CIDR networks whose <c>X-Forwarded-*</c> headers are honoured (none by default).</summary>
    public string? TrustedProxies { get; set; }

    /// <summary>On an index: the longest wait between attempts to deliver a repository deletion to a registry.</summary>
    public int DeletionRetryMaxSeconds { get; set; } = 300;

    /// <summary>
    /// Registry events are delivered from the outbox only this many seconds after start (default 0). For tests and
    /// operators: events pile up durably meanwhile (e.g. to prove a crash loses none, or to hold delivery during maintenance).
    /// </summary>
    public int EventDeliveryDelaySeconds { get; set; }

    /// <summary>
    /// The longest wait between two attempts to deliver the outbox to a subscriber that failed (the index over HTTP, a
    /// notification endpoint); default 60. Lower it when a quick catch-up after an outage matters more than retrying less.
    /// </summary>
    public int EventRetryMaxSeconds { get; set; } = 60;

    /// <summary>
    /// Registry notifications in CNCF Distribution's envelope to these endpoints (<c>Berth:Notifications:Endpoints</c>,
    /// <c>--notify-endpoint NAME=URL</c>), in every role that runs a registry; delivered from the outbox, durably.
    /// </summary>
    public Berth.Server.Notifications.NotificationOptions Notifications { get; set; } = new();

    /// <summary>
    /// Upstreams this registry mirrors (<c>Berth:Mirrors</c>, or <c>--mirror [NAME=]URL</c>): pull-through caches
    /// (docs/MIRROR.md). Empty: no repository is mirrored.
    /// </summary>
    public List<Berth.Mirror.UpstreamOptions> Mirrors { get; set; } = [];

    /// <summary>Seconds a webhook receiver has to answer one delivery attempt.</summary>
    public double WebhookTimeoutSeconds { get; set; } = 10;

    /// <summary>Hours a webhook delivery is retried before it is given up (and the webhook's next delivery goes).</summary>
    public double WebhookRetryHours { get; set; } = 24;

    /// <summary>Hours of nothing but failed attempts after which a webhook is disabled, with the reason recorded.</summary>
    public double WebhookDisableAfterHours { get; set; } = 72;

    /// <summary>Days delivered and failed webhook deliveries stay in the delivery log.</summary>
    public double WebhookLogDays { get; set; } = 30;

    /// <summary>Comma-separated host names, addresses or CIDR networks webhooks may target although internal (SSRF guard).</summary>
    public string? WebhookAllowHosts { get; set; }

    /// <summary>Seconds before a failed webhook delivery is first retried; it doubles (with jitter) up to <see cref="WebhookRetryMaxSeconds"/>.</summary>
    public double WebhookRetryFirstSeconds { get; set; } = 5;

    /// <summary>The longest wait between attempts of one webhook delivery.</summary>
    public double WebhookRetryMaxSeconds { get; set; } = 3600;

    /// <summary>The htpasswd file (bcrypt entries) for <c>--auth htpasswd</c>.</summary>
    public string? Htpasswd { get; set; }

    /// <summary><c>filesystem</c> (default) or <c>s3</c>.</summary>
    public string Storage { get; set; } = "filesystem";

    // S3-compatible storage (--storage s3).

    /// <summary>The store's URL, e.g. <c>http://127.0.0.1:9000</c>; unset for AWS S3 itself (by region).</summary>
    public string? S3Endpoint { get; set; }

    public string? S3Bucket { get; set; }

    public string S3Region { get; set; } = "us-east-1";

    public string? S3AccessKey { get; set; }

    public string? S3SecretKey { get; set; }

    /// <summary>Bucket in the path (<c>endpoint/bucket/key</c>), as most S3-compatible stores want.</summary>
    public bool S3PathStyle { get; set; }

    /// <summary>Blob GETs answer 307 to a short-lived presigned URL instead of streaming through the registry.</summary>
    public bool S3Redirect { get; set; }

    /// <summary>Keys live under this prefix in the bucket (default: the bucket's root).</summary>
    public string? S3Prefix { get; set; }

    /// <summary>How long an upload may sit untouched before its session and bytes are purged (default a day).</summary>
    public int UploadIdleSeconds { get; set; } = 86_400;

    /// <summary>Online garbage collection (<c>Berth:Gc</c>; docs/OPERATIONS.md, "Garbage collection").</summary>
    public Berth.Server.Gc.GcOptions Gc { get; set; } = new();

    /// <summary>
    /// How long a request's hold on an upload outlives its last renewal (default 15 s). Only a request whose node died
    /// stops renewing; after this long another node may continue its upload. For tests and operators.
    /// </summary>
    public int UploadClaimSeconds { get; set; } = 15;

    /// <summary>
    /// How long the client that started a mirror's upstream fetch may read nothing before it is detached (default
    /// 15 s): the fetch goes on for the cache and the other clients. For tests and operators.
    /// </summary>
    public int MirrorStalledClientSeconds { get; set; } = 15;

    /// <summary>PEM certificate (with its chain) Kestrel serves the https:// URLs with; needs <see cref="TlsKey"/>.</summary>
    public string? TlsCert { get; set; }

    /// <summary>The unencrypted PEM private key of <see cref="TlsCert"/>.</summary>
    public string? TlsKey { get; set; }

    /// <summary>
    /// Free bytes the data directory's disk keeps: below it new uploads and upload bodies are refused (507), reads and
    /// deletes go on (default 64 MiB; 0 = no reserve). Guards the filesystem storage and the SQLite database.
    /// </summary>
    public long MinFreeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How long a stopping server (SIGTERM) lets requests in flight finish (default 30 s); see <see cref="GracefulShutdown"/>.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary><c>sqlite</c> (default).</summary>
    public string Database { get; set; } = "sqlite";

    /// <summary>A connection string overriding the default SQLite file in the data directory.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// SQLite's <c>synchronous</c> under WAL: <c>normal</c> (default: the log is synced at checkpoints only) or
    /// <c>full</c> (every commit waits for the disk); see <c>SqliteConnectionSetup</c> and docs/OPERATIONS.md.
    /// </summary>
    public string SqliteSynchronous { get; set; } = "normal";

    /// <summary><c>text</c> (default: one line per entry with UTC time, level and request scopes) or <c>json</c> (one object per line).</summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>One line per request in the <c>Berth.Access</c> log category.</summary>
    public bool AccessLog { get; set; } = true;

    /// <summary>When set (';'-separated URLs), <c>/metrics</c> is served only on these addresses, not on the main ones.</summary>
    public string? MetricsUrls { get; set; }

    public string FullDataDir => Path.GetFullPath(DataDir);

    public bool RunsRegistry => Role is "all" or "registry";

    public bool RunsIndex => Role is "all" or "index";

    public string EffectiveAuth => (Auth ?? (Role == "all" ? "token" : "none")).ToLowerInvariant();
}
