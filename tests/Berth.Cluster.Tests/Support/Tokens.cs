using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Berth.Cluster.Tests.Support;

/// <summary>Bearer tokens fetched from one node's <c>/token</c> with a password, to be used on any node.</summary>
public static class Tokens
{
    public static async Task<string> GetAsync(Uri node, string scope, string user = "admin", string password = ClusterFixture.AdminPassword)
    {
        using var http = ClusterFixture.BasicClient(node, user, password);
        using var response = await http.GetAsync(new Uri($"token?service=berth-registry&scope={Uri.EscapeDataString(scope)}", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"token from {node}: {(int)response.StatusCode} {body}");
        return (string)JsonNode.Parse(body)!["token"]!;
    }

    /// <summary>A client for <paramref name="node"/> that sends <paramref name="token"/> with every request.</summary>
    public static HttpClient Bearer(Uri node, string token)
    {
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { BaseAddress = node, Timeout = TimeSpan.FromSeconds(120) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}
