using System.Collections;

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
        ["--deletion-retry-max-seconds"] = "Berth:DeletionRetryMaxSeconds",
        ["--auth"] = "Berth:Auth",
        ["--htpasswd"] = "Berth:Htpasswd",
        ["--storage"] = "Berth:Storage",
        ["--upload-idle-seconds"] = "Berth:UploadIdleSeconds",
        ["--database"] = "Berth:Database",
        ["--connection-string"] = "Berth:ConnectionString",
    };

    public const string Help = """
        berth-server — an OCI / Docker registry.

        Usage: berth-server [options]

        Options (each also settable in appsettings.json under "Berth" and as an environment variable):
          --urls URLS                 Addresses to listen on (default http://127.0.0.1:5000)      ASPNETCORE_URLS
          --data-dir DIR              Database and blob storage directory (default ./data)        BERTH_DATA_DIR
          --role all|index|registry   What this process serves (default all: index, registry, tokens) BERTH_ROLE
          --auth none|htpasswd|token  Access control for /v2 (default token for role all, else none) BERTH_AUTH
          --htpasswd FILE             bcrypt htpasswd file for --auth htpasswd                    BERTH_HTPASSWD
          --storage filesystem        Blob storage driver (default filesystem, in DATA_DIR/storage) BERTH_STORAGE
          --upload-idle-seconds N     Purge uploads untouched this long, and orphaned upload data BERTH_UPLOAD_IDLE_SECONDS
                                      (default 86400)
          --database sqlite|postgres  Metadata database (default sqlite, DATA_DIR/berth.db)       BERTH_DATABASE
          --connection-string CS      Database connection string (sqlite: overrides the default   BERTH_CONNECTION_STRING
                                      file; postgres: required, e.g. Host=db;Database=berth;Username=u;Password=p)

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

        Separate registry (role registry with --auth token):
          --token-realm URL           The index's token endpoint, e.g. http://index:5000/token    BERTH_TOKEN_REALM
          --token-issuer NAME         Issuer to trust                                             BERTH_TOKEN_ISSUER
          --token-jwks URL|FILE       The index's keys, e.g. http://index:5000/.well-known/jwks.json BERTH_TOKEN_JWKS
          --index-url URL             Where to report pushes and deletes (with --notify-secret)   BERTH_INDEX_URL
          --public-url URL            The URL the index reaches this registry at, to delete       BERTH_PUBLIC_URL
                                      repositories (default: the first --urls, 0.0.0.0/[::]/+/* as 127.0.0.1)

          -h, --help                  Show this help

        TLS: configure Kestrel certificates in appsettings.json (Kestrel:Endpoints) and use https:// URLs.
        """;

    /// <summary><c>BERTH_DATA_DIR</c> → <c>Berth:DATADIR</c> (configuration keys ignore case).</summary>
    public static IEnumerable<KeyValuePair<string, string?>> EnvironmentSettings()
    {
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var name = (string)entry.Key;
            if (name.StartsWith("BERTH_", StringComparison.Ordinal) && name.Length > 6)
            {
                yield return new($"{BerthOptions.Section}:{name[6..].Replace("_", "", StringComparison.Ordinal)}", (string?)entry.Value);
            }
        }
    }
}
