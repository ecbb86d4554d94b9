using System.Collections.Concurrent;

namespace Berth.Interop.Tests;

/// <summary>
/// The registries of the chain tests, each started on first use and shared by the tests of a class: a Berth origin
/// behind a counting forwarder; Berth mirror A of it; Berth mirror B of A; a Distribution 2.8.2 origin and a Berth mirror
/// of it; Distribution 2.8.2 in proxy mode in front of mirror A. Every mirror runs in the one-upstream mode
/// (<c>--mirror URL</c>), so repository names are the same all along a chain. Ports are chosen up front, so the links
/// of a chain start at once rather than one after another (a server start takes seconds on a loaded machine).
/// </summary>
public sealed class MirrorChain : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, Lazy<Task<IAsyncDisposable>>> _started = new();
    private readonly int _originPort = RegistryServer.FreeLoopbackPort();
    private readonly int _aPort = RegistryServer.FreeLoopbackPort();
    private readonly int _distributionPort = RegistryServer.FreeLoopbackPort();

    public Task<RegistryServer> OriginAsync() => GetAsync("origin", () => RegistryServer.StartAsync(port: _originPort));

    /// <summary>Between mirror A and the origin: what reached the origin.</summary>
    public Task<CountingForwarder> ToOriginAsync() => GetAsync("to-origin", () => CountingForwarder.StartAsync(new Uri($"http://127.0.0.1:{_originPort}/")));

    /// <summary>Mirror A, once it and everything behind it answer.</summary>
    public async Task<RegistryServer> MirrorAAsync()
    {
        var a = GetAsync("a", async () => await MirrorOfAsync($"http://{(await ToOriginAsync()).HostPort}", _aPort));
        await Task.WhenAll(a, OriginAsync());
        return await a;
    }

    /// <summary>Mirror B, once it and everything behind it answer.</summary>
    public async Task<RegistryServer> MirrorBAsync()
    {
        var b = GetAsync("b", () => MirrorOfAsync($"http://127.0.0.1:{_aPort}"));
        await Task.WhenAll(b, MirrorAAsync());
        return await b;
    }

    public Task<RegistryServer> DistributionOriginAsync() =>
        GetAsync("distribution", () => RegistryServer.StartAsync(RegistryKind.Distribution, port: _distributionPort));

    public async Task<RegistryServer> MirrorOfDistributionAsync()
    {
        var mirror = GetAsync("mirror-of-distribution", () => MirrorOfAsync($"http://127.0.0.1:{_distributionPort}"));
        await Task.WhenAll(mirror, DistributionOriginAsync());
        return await mirror;
    }

    /// <summary>
    /// After mirror A answers, not beside it: Distribution 2.8.2 in proxy mode asks its upstream for <c>/v2/</c> while it
    /// starts and exits (a panic in <c>NewApp</c>) if nothing answers.
    /// </summary>
    public async Task<RegistryServer> DistributionProxyOfAAsync()
    {
        await MirrorAAsync();
        return await GetAsync("distribution-proxy", () => RegistryServer.StartAsync(RegistryKind.Distribution, proxy: new DistributionProxy(new Uri($"http://127.0.0.1:{_aPort}/"))));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Clients first: each mirror before what it mirrors.
        foreach (var name in new[] { "distribution-proxy", "b", "a", "mirror-of-distribution", "to-origin", "origin", "distribution" })
        {
            if (_started.TryGetValue(name, out var lazy) && lazy.IsValueCreated)
            {
                try
                {
                    await (await lazy.Value).DisposeAsync();
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException or FileNotFoundException)
                {
                    // It never started; the tests that needed it already failed with this error.
                }
            }
        }
    }

    private static Task<RegistryServer> MirrorOfAsync(string upstream, int? port = null) => RegistryServer.StartAsync(extraArgs: ["--mirror", upstream], port: port);

    private async Task<T> GetAsync<T>(string name, Func<Task<T>> start)
        where T : IAsyncDisposable =>
        (T)await _started.GetOrAdd(name, _ => new Lazy<Task<IAsyncDisposable>>(async () => await start())).Value;
}
