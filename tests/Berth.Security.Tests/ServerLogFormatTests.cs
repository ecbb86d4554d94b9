using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Testing;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 14: every console line carries its UTC time (ISO 8601) and level; lines logged while a request is served
/// carry its request id; <c>--log-format json</c> writes one JSON object per line, scopes included.
/// </summary>
public sealed partial class ServerLogFormatTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Text_lines_have_a_utc_timestamp_a_level_and_the_request_id_in_scope()
    {
        await using var server = await RegistryServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        using (var response = await http.GetAsync("v2/log-text/probe/manifests/latest"))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        var line = await AccessLineAsync(server, "log-text/probe");
        var scope = RequestScope().Match(line);
        Assert.True(scope.Success, $"no request scope on the access line: {line}");
        Assert.Contains($"id={scope.Groups["id"].Value}", line, StringComparison.Ordinal);
        Assert.Matches(@"TraceId:[0-9a-f]{32}", line);

        var lines = LogLines(server);
        Assert.NotEmpty(lines);
        foreach (var logged in lines)
        {
            Assert.Matches(TextLine(), logged);
        }
    }

    [Fact]
    public async Task Json_lines_parse_with_timestamp_level_category_message_state_and_scopes()
    {
        await using var server = await RegistryServer.StartAsync(extraArgs: ["--log-format", "json"]);
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        using (var response = await http.GetAsync("v2/log-json/probe/manifests/latest"))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        await AccessLineAsync(server, "log-json/probe");
        JsonNode? access = null;
        foreach (var line in LogLines(server))
        {
            var entry = JsonNode.Parse(line)!;
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", (string)entry["Timestamp"]!);
            Assert.Contains((string)entry["LogLevel"]!, new[] { "Trace", "Debug", "Information", "Warning", "Error", "Critical" });
            Assert.False(string.IsNullOrEmpty((string?)entry["Category"]));
            Assert.NotNull(entry["Message"]);
            if ((string)entry["Category"]! == "Berth.Access" && ((string)entry["Message"]!).Contains("log-json/probe", StringComparison.Ordinal))
            {
                access = entry;
            }
        }

        Assert.NotNull(access);
        var state = access["State"]!;
        Assert.Equal("GET", (string)state["Method"]!);
        Assert.Equal("manifest", (string)state["Route"]!);
        Assert.Equal("log-json/probe", (string)state["Repository"]!);
        Assert.Equal("404", state["Status"]!.ToString());
        var requestId = (string)state["RequestId"]!;
        var scopes = access["Scopes"]!.AsArray();
        Assert.Contains(scopes, s => s?["RequestId"] is { } id && (string)id! == requestId);
        Assert.Contains(scopes, s => s?["TraceId"] is not null);
    }

    [Fact]
    public async Task An_unknown_log_format_is_a_usage_error()
    {
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => RegistryServer.StartAsync(extraArgs: ["--log-format", "xml"]));
        Assert.Contains("berth-server: --log-format must be text or json, not 'xml'", failed.Message, StringComparison.Ordinal);
    }

    /// <summary>The log's lines, less what the server prints outside its log (the generated admin password, the harness's exit line).</summary>
    private static List<string> LogLines(RegistryServer server) =>
        [.. server.ReadLog().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("berth-server:", StringComparison.Ordinal) && !l.StartsWith("--- exited", StringComparison.Ordinal))];

    private static async Task<string> AccessLineAsync(RegistryServer server, string repository)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < deadline)
        {
            if (LogLines(server).FirstOrDefault(l => l.Contains("Berth.Access", StringComparison.Ordinal) && l.Contains(repository, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no access-log line for {repository}:\n{server.ReadLog()}");
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trce|dbug|info|warn|fail|crit): \S+\[\d+\] ")]
    private static partial Regex TextLine();

    [GeneratedRegex(@"RequestId:(?<id>\S+)")]
    private static partial Regex RequestScope();
}
