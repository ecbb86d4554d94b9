using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 8, defect 6: a standalone registry's htpasswd logins are a surface that checks passwords too (each wrong one
/// costs a bcrypt), so they are throttled per source like the index's, and never lock the user out for everyone.
/// </summary>
public sealed class HtpasswdThrottleTests : IAsyncLifetime
{
    private const string User = "ci";
    private const string Password = "the-right-password";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "berth-tests", "htpasswd-" + Guid.NewGuid().ToString("N"));
    private RegistryServer _server = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "users.htpasswd");
        await File.WriteAllTextAsync(file, $"{User}:{BCrypt.Net.BCrypt.HashPassword(Password, 4)}\n");
        _server = await RegistryServer.StartAsync(extraArgs: ["--role", "registry", "--auth", "htpasswd", "--htpasswd", file]);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Wrong_passwords_slow_the_guessing_address_not_the_user()
    {
        using var attacker = new HttpClient(SourceAddress.HandlerFrom("127.0.0.9")) { BaseAddress = _server.BaseUri };
        using var victim = new HttpClient(SourceAddress.HandlerFrom("127.0.0.1")) { BaseAddress = _server.BaseUri };

        TimeSpan? retryAfter = null;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 40 && retryAfter is null && clock.Elapsed < TimeSpan.FromSeconds(60); i++)
        {
            using var response = await attacker.SendAsync(V2(User, $"guess-{i}"));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                retryAfter = response.Headers.RetryAfter?.Delta;
                Assert.NotNull(retryAfter);
                Assert.Contains("TOOMANYREQUESTS", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }
        }

        Assert.True(retryAfter is { TotalSeconds: >= 1 }, "40 wrong passwords from one address were never throttled");

        // The blocked address is not even asked for its password; the user, from elsewhere, gets in at once.
        using (var blocked = await attacker.SendAsync(V2(User, Password)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        }

        using var own = await victim.SendAsync(V2(User, Password));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    private static HttpRequestMessage V2(string user, string password)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "v2/");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return request;
    }
}
