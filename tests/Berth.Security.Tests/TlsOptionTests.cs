using Berth.Testing;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 14: <c>--tls-cert/--tls-key</c> mistakes stop berth-server with one line and an exit code before anything is
/// created: half a pair or plain HTTP beside it is a usage error (2), a pair that does not load is exit 7.
/// </summary>
public sealed class TlsOptionTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("berth-tls-options-");
    private readonly TestCertificates _certificates;

    public TlsOptionTests()
    {
        _certificates = TestCertificates.Create(Path.Combine(_work.FullName, "certs"));
    }

    [Fact]
    public async Task A_certificate_without_its_key_exits_2()
    {
        var result = await RunAsync("--tls-cert", _certificates.ServerCertificate, "--urls", HttpsUrl());

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(["berth-server: --tls-cert needs --tls-key too (a PEM certificate and its private key)"], result.StderrLines);
        AssertNothingCreated();
    }

    [Fact]
    public async Task Plain_http_beside_a_certificate_exits_2()
    {
        var url = $"http://127.0.0.1:{RegistryServer.FreeLoopbackPort()}";
        var result = await RunAsync("--tls-cert", _certificates.ServerCertificate, "--tls-key", _certificates.ServerKey, "--urls", url);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal([$"berth-server: --urls {url} is plain HTTP but --tls-cert is given: use https:// URLs"], result.StderrLines);
        AssertNothingCreated();
    }

    [Fact]
    public async Task A_key_of_another_certificate_exits_7()
    {
        var result = await RunAsync("--tls-cert", _certificates.ServerCertificate, "--tls-key", _certificates.OtherKey, "--urls", HttpsUrl());

        Assert.Equal(7, result.ExitCode);
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith($"berth-server: cannot use {_certificates.ServerCertificate} with {_certificates.OtherKey} ", line);
        Assert.Contains("does not match", line);
        AssertNothingCreated();
    }

    private static string HttpsUrl() => $"https://127.0.0.1:{RegistryServer.FreeLoopbackPort()}";

    private void AssertNothingCreated() => Assert.Equal(["certs"], _work.EnumerateFileSystemInfos().Select(i => i.Name));

    private async Task<Result> RunAsync(params string[] args)
    {
        var run = await ServerCommand.RunAsync([.. args, "--data-dir", "data"], _work.FullName, environment: new Dictionary<string, string?> { ["HOME"] = _work.FullName });
        return new Result(run.ExitCode, run.Stdout, run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    public void Dispose() => _work.Delete(recursive: true);

    private sealed record Result(int ExitCode, string Stdout, string[] StderrLines);
}
