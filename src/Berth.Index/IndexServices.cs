using Berth.Index.Accounts;
using Berth.Index.Audit;
using Berth.Index.Events;
using Berth.Index.Organizations;
using Berth.Index.Permissions;
using Berth.Index.Repositories;
using Berth.Index.Search;
using Berth.Index.Social;
using Berth.Index.TagPolicies;
using Berth.Index.Tokens;
using Berth.Index.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Berth.Index;

public static class IndexServices
{
    /// <summary>The index: accounts, permissions, the token service and the records kept from registry events.</summary>
    public static IServiceCollection AddIndex(this IServiceCollection services, IndexOptions options, SigningKeys keys)
    {
        services.AddSingleton(options);
        services.AddSingleton(keys);
        services.AddLoginThrottle();
        services.AddSingleton<VerifiedPasswords>();
        services.AddSingleton<TokenIssuer>();

        // The index's own tokens, checked where the REST API accepts them (Docker's /v1/search).
        services.AddSingleton(sp => new TokenValidator(
            new LocalKeySource(keys), new TokenValidationSettings(options.TokenIssuer, options.TokenService), sp.GetRequiredService<TimeProvider>()));
        services.AddScoped<IAccountService, AccountService>();
        services.AddScoped<IPermissionService, PermissionService>();
        services.TryAddSingleton<IMirroredNames>(NoMirroredNames.Instance);
        services.AddScoped<ITokenService, TokenService>();
        services.AddScoped<IndexRecords>();
        services.AddScoped<IUserService, UserService>();
        services.AddScoped<IWebSessionService, WebSessionService>();
        services.AddScoped<IOrganizationService, OrganizationService>();
        services.AddScoped<IRepositoryService, RepositoryService>();
        services.AddScoped<ICollaboratorService, CollaboratorService>();
        services.AddScoped<IStarService, StarService>();
        services.AddScoped<ICommentService, CommentService>();
        services.AddScoped<ISearchService, SearchService>();
        services.AddScoped<IAccountDirectory, AccountDirectory>();
        services.AddScoped<AdministeredScopes>();
        services.AddScoped<IWebhookService, WebhookService>();
        services.AddScoped<ITagPolicyService, TagPolicyService>();
        return services;
    }

    /// <summary>
    /// Accounts and the audit log alone, for the server console (<c>berth-server admin</c>): what resetting a password
    /// needs, without the token service and its signing key.
    /// </summary>
    public static IServiceCollection AddAccountAdministration(this IServiceCollection services, IndexOptions options)
    {
        services.TryAddSingleton(options);
        services.AddLoginThrottle();
        services.TryAddSingleton<VerifiedPasswords>();
        services.TryAddScoped<IAccountService, AccountService>();
        return services;
    }

    /// <summary>The login throttle (and the audit log it writes to), also for a standalone registry's htpasswd logins.</summary>
    public static IServiceCollection AddLoginThrottle(this IServiceCollection services)
    {
        services.TryAddScoped<LoginThrottle>();
        services.TryAddScoped<ILoginThrottle>(sp => sp.GetRequiredService<LoginThrottle>());
        services.TryAddScoped<AuditContext>();
        services.TryAddScoped<IAuditLog, AuditLog>();
        return services;
    }
}
