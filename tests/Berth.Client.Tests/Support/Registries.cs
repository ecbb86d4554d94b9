using System.Collections.Concurrent;

namespace Berth.Client.Tests.Support;

/// <summary>One registry process per kind, started on first use and shared by a test class (each test uses its own repositories).</summary>
public sealed class Registries : IAsyncLifetime
{
    private readonly ConcurrentDictionary<RegistryKind, Lazy<Task<RegistryServer>>> _servers = new();

    public Task<RegistryServer> GetAsync(RegistryKind kind) =>
        _servers.GetOrAdd(kind, k => new Lazy<Task<RegistryServer>>(() => RegistryServer.StartAsync(k))).Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var lazy in _servers.Values.Where(l => l.IsValueCreated))
        {
            try
            {
                await using var server = await lazy.Value;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or FileNotFoundException)
            {
                // It never started; the tests that needed it failed with that error already.
            }
        }
    }
}

internal static class Names
{
    /// <summary>A repository name unique to one test: "client/&lt;prefix&gt;-&lt;8 hex&gt;".</summary>
    public static string Repo(string prefix) => $"client/{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
}
