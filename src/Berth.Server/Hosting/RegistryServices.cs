using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Postgres;
using Berth.Data.Sqlite;
using Berth.Index;
using Berth.Index.Accounts;
using Berth.Index.Events;
using Berth.Index.Tokens;
using Berth.Registry;
using Berth.Registry.Events;
using Berth.Registry.Storage;
using Berth.Registry.Uploads;
using Berth.Server.Auth;
using Berth.Server.Notifications;
using Berth.Storage.S3;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Hosting;

/// <summary>Wires the roles and backends chosen in configuration. Each choice is made once, here, by a switch.</summary>
internal static class RegistryServices
{
    public static IServiceCollection AddBerth(this IServiceCollection services, BerthOptions options)
    {
        if (options.Role is not ("all" or "index" or "registry"))
        {
            throw new ConfigurationException($"unknown role '{options.Role}' (expected: all, index, registry)");
        }

        Directory.CreateDirectory(options.FullDataDir);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ClusterLeases>();
        var visibility = options.DefaultVisibility.ToLowerInvariant() switch
        {
            "private" => Visibility.Private,
            "public" => Visibility.Public,
            _ => throw new ConfigurationException($"unknown visibility '{options.DefaultVisibility}' (expected: private, public)"),
        };
        services.AddSingleton(new RepositoryDefaults(visibility));

        services.AddBerthDatabase(options);

        SigningKeys? keys = null;
        if (options.RunsIndex)
        {
            keys = SigningKeys.LoadOrCreate(options.TokenKey ?? Path.Combine(options.FullDataDir, "keys", "token-signing.pem"));
            services.AddIndex(
                new IndexOptions
                {
                    SignupEnabled = options.SignupEnabled,
                    DefaultVisibility = visibility,
                    BcryptWorkFactor = options.BcryptWorkFactor,
                    TokenIssuer = options.TokenIssuer,
                    TokenService = options.TokenService,
                    TokenLifetimeSeconds = options.TokenLifetimeSeconds,
                    RegistryInProcess = options.RunsRegistry,
                },
                keys);
            AddRepositoryDeletions(services, options);
        }

        if (options.RunsRegistry)
        {
            AddRegistry(services, options, keys);
        }
        else
        {
            NotificationServices.RefuseWithoutRegistry(options);
        }

        return services;
    }

    /// <summary>The metadata database chosen in configuration (the server's, and the console commands' of <see cref="AdminCommands"/>).</summary>
    public static IServiceCollection AddBerthDatabase(this IServiceCollection services, BerthOptions options)
    {
        services.AddSingleton<AccessRulesVersion>();
        services.AddSingleton<AccessRulesInterceptor>();
        switch (options.Database.ToLowerInvariant())
        {
            case "sqlite":
                var connection = options.ConnectionString ?? $"Data Source={Path.Combine(options.FullDataDir, "berth.db")};Pooling=True";
                ParseConnectionString(connection, given => new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(given).ConnectionString);
                var synchronousNormal = options.SqliteSynchronous.ToLowerInvariant() switch
                {
                    "full" => false,
                    "normal" => true,
                    _ => throw new ConfigurationException($"unknown --sqlite-synchronous '{options.SqliteSynchronous}' (expected: full, normal)"),
                };
                services.AddDbContextPool<BerthDbContext, SqliteBerthDbContext>((provider, o) =>
                    SqliteBerthDbContext.Configure(o, connection, synchronousNormal).AddInterceptors(provider.GetRequiredService<AccessRulesInterceptor>()));
                break;
            case "postgres":
                // No retrying execution strategy: it cannot replay the services' own transactions. A failure is a
                // clean 503 (Faults), and the client retries the request.
                var postgres = options.ConnectionString ?? throw new ConfigurationException("--database postgres needs --connection-string CS");
                ParseConnectionString(postgres, PostgresBerthDbContext.Tuned);
                services.AddDbContextPool<BerthDbContext, PostgresBerthDbContext>((provider, o) =>
                    PostgresBerthDbContext.Configure(o, postgres).AddInterceptors(provider.GetRequiredService<AccessRulesInterceptor>()));
                break;
            default:
                throw new ConfigurationException($"unknown database '{options.Database}' (expected: sqlite, postgres)");
        }

        return services;
    }

    /// <summary>Applies pending migrations, sets up the database for concurrent use and creates the first admin.</summary>
    public static async Task InitializeAsync(this IServiceProvider services, BerthOptions options, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
        await db.MigrateAsync(cancellationToken);

        if (options.RunsIndex)
        {
            var generated = await scope.ServiceProvider.GetRequiredService<IAccountService>().EnsureAdminAsync(options.AdminPassword, cancellationToken);
            if (generated is not null)
            {
                // Shown once, on the console only: it is not stored anywhere in plain text.
                Console.WriteLine($"berth-server: created account 'admin' with password: {generated}");
            }
        }
    }

    /// <summary>The providers parse a connection string only when the first connection opens: a typo is found here, at start.</summary>
    private static void ParseConnectionString(string connectionString, Func<string, string> parse)
    {
        try
        {
            _ = parse(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new DatabaseConfigurationException($"the connection string is malformed: {e.Message}");
        }
    }

    private static void AddRegistry(IServiceCollection services, BerthOptions options, SigningKeys? keys)
    {
        AddBlobStorage(services, options);
        switch (options.EffectiveAuth)
        {
            case "none":
                services.AddSingleton<IAccessController, NoAccessControl>();
                break;
            case "htpasswd":
                var file = options.Htpasswd ?? throw new ConfigurationException("--auth htpasswd needs --htpasswd FILE");
                if (!File.Exists(file))
                {
                    throw new ConfigurationException($"htpasswd file '{file}' does not exist");
                }

                services.AddLoginThrottle();
                services.AddSingleton<IAccessController>(sp =>
                    new HtpasswdAccessControl(Path.GetFullPath(file), sp.GetRequiredService<ILogger<HtpasswdAccessControl>>()));
                break;
            case "token":
                ITokenKeySource source = keys is not null
                    ? new LocalKeySource(keys)
                    : new JwksKeySource(
                        options.TokenJwks ?? throw new ConfigurationException("--auth token on a separate registry needs --token-jwks URL|FILE"),
                        new HttpClient { Timeout = TimeSpan.FromSeconds(10) },
                        TimeProvider.System);
                if (keys is null && options.TokenRealm is null)
                {
                    throw new ConfigurationException("--auth token on a separate registry needs --token-realm URL");
                }

                var validator = new TokenValidator(source, new TokenValidationSettings(options.TokenIssuer, options.TokenService), TimeProvider.System);
                services.AddSingleton<IAccessController>(new TokenAccessControl(validator, new TokenChallengeSettings(TokenRealm(options), options.TokenService), options.RunsIndex));
                break;
            default:
                throw new ConfigurationException($"unknown auth mode '{options.Auth}' (expected: none, htpasswd, token)");
        }

        AddEventDelivery(services, options);
        if (options.Role == "registry" && options.NotifySecret is { Length: > 0 })
        {
            // The index's signed repository deletions arrive here (RepositoryDeletionEndpoint); their ids are kept bounded.
            services.AddHostedService<ReceivedEventPruner>();
        }

        if (options.UploadClaimSeconds < 1)
        {
            throw new ConfigurationException("--Berth:UploadClaimSeconds must be at least 1");
        }

        services.AddSingleton(new UploadSettings(TimeSpan.FromSeconds(options.UploadClaimSeconds)));
        services.AddRegistryCore();
    }

    /// <summary>The storage driver <c>--storage</c> names (also for <c>berth-server gc</c>).</summary>
    internal static void AddBlobStorage(IServiceCollection services, BerthOptions options)
    {
        switch (options.Storage.ToLowerInvariant())
        {
            case "filesystem":
                services.AddSingleton<IStorageDriver>(new FileSystemStorageDriver(Path.Combine(options.FullDataDir, "storage")));
                break;
            case "s3":
                var s3 = S3Options(options);
                services.AddSingleton<IStorageDriver>(sp => new S3StorageDriver(s3, TimeProvider.System, sp.GetRequiredService<ILogger<S3StorageDriver>>()));
                break;
            default:
                throw new ConfigurationException($"unknown storage driver '{options.Storage}' (expected: filesystem, s3)");
        }
    }

    /// <summary>
    /// The realm a 401 names: <c>--token-realm</c>; with the index in this process and a <c>--public-url</c>, that URL's
    /// <c>/token</c>; otherwise null (the request's own scheme and host, which trusted proxies may have forwarded).
    /// </summary>
    private static string? TokenRealm(BerthOptions options) =>
        options.TokenRealm
        ?? (options.RunsIndex && !string.IsNullOrWhiteSpace(options.PublicUrl) ? PublicUrl.Resolve(options.PublicUrl, null) + "/token" : null);

    /// <summary>The S3 driver's settings, every mistake reported before the server starts.</summary>
    private static S3StorageOptions S3Options(BerthOptions options)
    {
        Uri? endpoint = null;
        if (!string.IsNullOrWhiteSpace(options.S3Endpoint))
        {
            if (!Uri.TryCreate(options.S3Endpoint, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https") || endpoint.Query.Length > 0)
            {
                throw new ConfigurationException($"--s3-endpoint '{options.S3Endpoint}' is not an absolute http(s) URL");
            }
        }

        var bucket = string.IsNullOrWhiteSpace(options.S3Bucket) ? throw new ConfigurationException("--storage s3 needs --s3-bucket NAME") : options.S3Bucket.Trim();
        if (bucket.Contains('/'))
        {
            throw new ConfigurationException($"--s3-bucket '{bucket}' is not a bucket name (put a key prefix in --s3-prefix)");
        }

        if (string.IsNullOrWhiteSpace(options.S3AccessKey) || string.IsNullOrWhiteSpace(options.S3SecretKey))
        {
            throw new ConfigurationException("--storage s3 needs --s3-access-key and --s3-secret-key");
        }

        if (string.IsNullOrWhiteSpace(options.S3Region))
        {
            throw new ConfigurationException("--s3-region must not be empty");
        }

        var prefix = (options.S3Prefix ?? "").Trim('/');
        if (prefix.Split('/').Any(s => s is "." or "..") || prefix.Contains("//", StringComparison.Ordinal))
        {
            throw new ConfigurationException($"--s3-prefix '{options.S3Prefix}' is not a plain key path");
        }

        return new S3StorageOptions
        {
            Endpoint = endpoint,
            Bucket = bucket,
            Region = options.S3Region.Trim(),
            AccessKey = options.S3AccessKey,
            SecretKey = options.S3SecretKey,
            PathStyle = options.S3PathStyle,
            Redirect = options.S3Redirect,
            Prefix = prefix.Length == 0 ? "" : prefix + "/",
        };
    }

    /// <summary>
    /// The outbox's subscribers, picked once: all-in-one, the index records in this process; a separate registry with
    /// <c>--index-url</c>, the signed HTTP feed to that index; otherwise none (events are kept for the retention, then pruned).
    /// </summary>
    private static void AddEventDelivery(IServiceCollection services, BerthOptions options)
    {
        if (options.EventDeliveryDelaySeconds < 0)
        {
            throw new ConfigurationException("--Berth:EventDeliveryDelaySeconds must not be negative");
        }

        if (options.RunsIndex)
        {
            services.AddSingleton<IOutboxSubscriber, IndexEventSubscriber>();
            if (options.NotifySecret is not { Length: > 0 })
            {
                // The ids the index records applied are kept bounded (with a notify secret, AddRepositoryDeletions does it).
                services.AddHostedService<ReceivedEventPruner>();
            }
        }
        else if (options.IndexUrl is not null)
        {
            var secret = options.NotifySecret ?? throw new ConfigurationException("--index-url needs --notify-secret to sign its events");
            var endpoint = new Uri(new Uri(options.IndexUrl.TrimEnd('/') + "/"), "api/v1/internal/events");
            _ = PublicUrl.Resolve(options.PublicUrl, null); // an unusable --public-url is a configuration error, reported now
            services.AddSingleton<IOutboxSubscriber>(sp => new HttpIndexSubscriber(
                new HttpClient { Timeout = TimeSpan.FromSeconds(10) },
                endpoint,
                PublicUrl.Resolve(options.PublicUrl, sp.GetRequiredService<IConfiguration>()["urls"]),
                secret,
                TimeProvider.System,
                sp.GetRequiredService<ILogger<HttpIndexSubscriber>>()));
        }

        services.AddRegistryNotifications(options);
        if (options.EventRetryMaxSeconds < 1)
        {
            throw new ConfigurationException("Berth:EventRetryMaxSeconds must be at least 1");
        }

        services.AddSingleton(new OutboxSettings(TimeSpan.FromSeconds(options.EventDeliveryDelaySeconds), TimeSpan.FromHours(1))
        {
            MaxBackoff = TimeSpan.FromSeconds(options.EventRetryMaxSeconds),
        });
        services.AddHostedService<OutboxDispatcher>();
        services.AddHostedService<PullCountFlusher>();
    }

    /// <summary>
    /// Seed scenario C. All-in-one: the database cascade. An index with separate registries: signed events tell it
    /// which registries hold a repository; its delete owes each a deletion, delivered by <see cref="RegistryDeletionWorker"/>.
    /// </summary>
    private static void AddRepositoryDeletions(IServiceCollection services, BerthOptions options)
    {
        services.AddScoped<RegistryEventReceiver>();
        if (options.NotifySecret is { Length: > 0 })
        {
            // Signed events arrive (EventEndpoints); the ids applied are kept bounded.
            services.AddHostedService<ReceivedEventPruner>();
        }

        if (options.RunsRegistry)
        {
            services.AddSingleton<IRepositoryContentRemover, CascadeContentRemover>();
            return;
        }

        if (options.NotifySecret is not { Length: > 0 } secret)
        {
            if (options.RegistryUrl is not null)
            {
                throw new ConfigurationException("--registry-url needs --notify-secret to sign the deletions it is sent");
            }

            // No registry can report to this index, so none holds anything it could be asked to delete.
            services.AddSingleton<IRepositoryContentRemover, CascadeContentRemover>();
            return;
        }

        if (options.RegistryUrl is not null && RegistryUrls.Normalize(options.RegistryUrl) is null)
        {
            throw new ConfigurationException($"--registry-url '{options.RegistryUrl}' is not an absolute http(s) URL");
        }

        if (options.DeletionRetryMaxSeconds < 1)
        {
            throw new ConfigurationException("--deletion-retry-max-seconds must be at least 1");
        }

        services.AddSingleton(new RegistryDeletionQueue(options.RegistryUrl));
        services.AddScoped<IRepositoryContentRemover, RegistryDeletionScheduler>();
        services.AddHostedService(sp => new RegistryDeletionWorker(
            sp.GetRequiredService<IServiceScopeFactory>(),
            sp.GetRequiredService<RegistryDeletionQueue>(),
            new HttpClient { Timeout = TimeSpan.FromSeconds(30) },
            secret,
            TimeSpan.FromSeconds(options.DeletionRetryMaxSeconds),
            TimeProvider.System,
            sp.GetRequiredService<ILogger<RegistryDeletionWorker>>()));
    }
}

/// <summary>A configuration mistake: reported to the operator in one line, not as a stack trace.</summary>
public sealed class ConfigurationException(string message) : Exception(message);

/// <summary>The database's configuration cannot work (exit code <see cref="ExitCodes.Database"/>, not usage).</summary>
public sealed class DatabaseConfigurationException(string message) : Exception(message);
