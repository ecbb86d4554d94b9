using Berth.Data;
using Berth.Data.Sqlite;
using Berth.Registry;
using Berth.Registry.Storage;
using Berth.Server.Auth;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Hosting;

/// <summary>Wires the backends chosen in configuration. Each choice is made once, here, by a switch.</summary>
internal static class RegistryServices
{
    public static IServiceCollection AddBerth(this IServiceCollection services, BerthOptions options)
    {
        Directory.CreateDirectory(options.FullDataDir);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);

        switch (options.Database.ToLowerInvariant())
        {
            case "sqlite":
                var connection = options.ConnectionString ?? $"Data Source={Path.Combine(options.FullDataDir, "berth.db")};Pooling=True";
                services.AddDbContextPool<BerthDbContext, SqliteBerthDbContext>(o => o.UseSqlite(connection));
                break;
            default:
                throw new ConfigurationException($"unknown database '{options.Database}' (expected: sqlite)");
        }

        switch (options.Storage.ToLowerInvariant())
        {
            case "filesystem":
                services.AddSingleton<IStorageDriver>(new FileSystemStorageDriver(Path.Combine(options.FullDataDir, "storage")));
                break;
            default:
                throw new ConfigurationException($"unknown storage driver '{options.Storage}' (expected: filesystem)");
        }

        switch (options.Auth.ToLowerInvariant())
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

                services.AddSingleton<IAccessController>(sp =>
                    new HtpasswdAccessControl(Path.GetFullPath(file), sp.GetRequiredService<ILogger<HtpasswdAccessControl>>()));
                break;
            default:
                throw new ConfigurationException($"unknown auth mode '{options.Auth}' (expected: none, htpasswd)");
        }

        services.AddRegistryCore();
        services.AddHostedService<AbandonedUploadPurger>();
        return services;
    }

    /// <summary>Applies pending migrations and sets up the database for concurrent use.</summary>
    public static async Task InitializeDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // WAL lets readers proceed while a push writes; the setting is stored in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }
}

/// <summary>A configuration mistake: reported to the operator in one line, not as a stack trace.</summary>
public sealed class ConfigurationException(string message) : Exception(message);
