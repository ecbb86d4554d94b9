using System.Diagnostics;
using System.Net;
using Berth.Security.Tests.Support;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 8, defect 13: a correct password costs bcrypt once, not on every <c>/token</c> request (a client asking for a
/// token per request was ~50× slower with token auth).
/// </summary>
public sealed class TokenCostTests
{
    [Fact]
    public async Task A_repeated_correct_login_does_not_pay_bcrypt_again()
    {
        // A real bcrypt cost (~0.2 s here) instead of the suite's cheapest, so the difference is unmistakable.
        await using var site = await Site.StartAsync(["--Berth:BcryptWorkFactor", "12"]);
        var user = await site.CreateUserAsync("fast");
        var scope = $"repository:{user.Name}/app:pull,push";

        var first = await TimedTokenAsync(user, scope);
        var repeats = new List<TimeSpan>();
        for (var i = 0; i < 15; i++)
        {
            repeats.Add(await TimedTokenAsync(user, scope));
        }

        var median = repeats.Order().ElementAt(repeats.Count / 2);
        Assert.True(median * 5 < first, $"first login {first.TotalMilliseconds:0} ms, repeated logins (median) {median.TotalMilliseconds:0} ms");

        // A wrong password is still refused (and still pays bcrypt: nothing of it is cached).
        Assert.Equal(HttpStatusCode.Unauthorized, (await site.As(user.Name!, user.Secret + "x").TokenAsync(scope)).Status);
    }

    private static async Task<TimeSpan> TimedTokenAsync(Actor user, string scope)
    {
        var clock = Stopwatch.StartNew();
        var answer = await user.TokenAsync(scope);
        var elapsed = clock.Elapsed;
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(["pull", "push"], answer.ActionsOn($"{user.Name}/app"));
        return elapsed;
    }
}
