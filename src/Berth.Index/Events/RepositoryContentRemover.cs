using Berth.Index.Tokens;

namespace Berth.Index.Events;

/// <summary>
/// Seed scenario C: when the index deletes a repository, the registry's manifests and tags go too.
/// In one process the database cascade does it; a separate registry is asked through its own API.
/// </summary>
public interface IRepositoryContentRemover
{
    /// <summary>Deletes the given manifests of <paramref name="repository"/> from the registry. Returns false if the registry refused or was unreachable.</summary>
    Task<bool> RemoveAsync(string repository, IReadOnlyCollection<string> manifestDigests, CancellationToken cancellationToken);
}

/// <summary>The registry shares this process's database: deleting the repository record cascades to its content.</summary>
public sealed class CascadeContentRemover : IRepositoryContentRemover
{
    public Task<bool> RemoveAsync(string repository, IReadOnlyCollection<string> manifestDigests, CancellationToken cancellationToken) =>
        Task.FromResult(true);
}

/// <summary>
/// A separate registry (<c>--registry-url</c>): the index signs itself a token with <c>delete</c> on the repository and
/// deletes each manifest through <c>/v2</c>, exactly as a client would; blobs are left for garbage collection.
/// </summary>
public sealed class RegistryApiContentRemover(HttpClient http, Uri registry, TokenIssuer issuer, IndexOptions options) : IRepositoryContentRemover
{
    public async Task<bool> RemoveAsync(string repository, IReadOnlyCollection<string> manifestDigests, CancellationToken cancellationToken)
    {
        var token = issuer.Issue("berth-index", options.TokenService, [new ResourceScope(ResourceScope.Repository, repository, ["delete"])]);
        var ok = true;
        foreach (var digest in manifestDigests.Distinct(StringComparer.Ordinal))
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(registry, $"v2/{repository}/manifests/{digest}"));
            request.Headers.Authorization = new("Bearer", token.Token);
            try
            {
                using var response = await http.SendAsync(request, cancellationToken);
                // 404: already gone, which is what was wanted.
                ok &= response.IsSuccessStatusCode || response.StatusCode == System.Net.HttpStatusCode.NotFound;
            }
            catch (HttpRequestException)
            {
                ok = false;
            }
        }

        return ok;
    }
}
