using System.Collections.Concurrent;

namespace Berth.Interop.Tests;

/// <summary>
/// One registry process per kind, started on first use and shared by the tests of a class (each test uses its own
/// repository names). A kind that cannot start fails only the tests that ask for it.
/// </summary>
public sealed class RegistryFixture : IAsyncLifetime
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
                // It never started; the tests that needed it already failed with this error.
            }
        }
    }
}
