using BenchmarkDotNet.Attributes;
using Berth.Index;
using Berth.Index.Tokens;

namespace Berth.Benchmarks;

/// <summary>
/// Registry token verification: the first request with a token checks its ES256 signature; the dozens that
/// follow during one pull hit the validator's cache.
/// </summary>
[MemoryDiagnoser]
public class TokenBenchmarks
{
    private readonly TokenValidationSettings _settings = new("berth-index", "berth-registry");
    private string _directory = "";
    private LocalKeySource _keys = null!;
    private TokenValidator _warm = null!;
    private string _token = "";

    [GlobalSetup]
    public async Task Setup()
    {
        _directory = Directory.CreateTempSubdirectory("berth-bench-tokens-").FullName;
        var signing = SigningKeys.LoadOrCreate(Path.Combine(_directory, "signing.json"));
        _keys = new LocalKeySource(signing);
        var issuer = new TokenIssuer(signing, new IndexOptions(), TimeProvider.System);
        _token = issuer.Issue("alice", "berth-registry", [new ResourceScope(ResourceScope.Repository, "team/app", ["pull", "push"])]).Token;
        _warm = new TokenValidator(_keys, _settings, TimeProvider.System);
        if (await _warm.ValidateAsync(_token, CancellationToken.None) is null)
        {
            throw new InvalidOperationException("the benchmark token does not validate");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Description = "first use: signature check")]
    public async Task<bool> ValidateCold() =>
        await new TokenValidator(_keys, _settings, TimeProvider.System).ValidateAsync(_token, CancellationToken.None) is not null;

    [Benchmark(Description = "repeat use: cached")]
    public async Task<bool> ValidateCached() => await _warm.ValidateAsync(_token, CancellationToken.None) is not null;
}
