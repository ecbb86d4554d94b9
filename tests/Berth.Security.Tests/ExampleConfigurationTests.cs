using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 14: src/Berth.Server/appsettings.example.json names every setting berth-server has, so an option added later
/// cannot be left out of it. Read from the built server (its BerthOptions and command-line switches) and the file.
/// </summary>
public sealed partial class ExampleConfigurationTests
{
    private static readonly string ExampleFile = Path.Combine(RepositoryRoot(), "src", "Berth.Server", "appsettings.example.json");

    [Fact]
    public void The_example_is_json_with_comments_as_the_configuration_loader_reads_it()
    {
        // The options of Microsoft.Extensions.Configuration.Json's parser: comments skipped, trailing commas allowed.
        using var document = JsonDocument.Parse(File.ReadAllText(ExampleFile), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var berth = document.RootElement.GetProperty("Berth");
        Assert.Equal("./data", berth.GetProperty("DataDir").GetString());
        Assert.True(document.RootElement.TryGetProperty("Logging", out _));
    }

    [Fact]
    public void Every_option_and_switch_is_in_the_example()
    {
        var server = Assembly.LoadFrom(ServerDll());
        var options = server.GetType("Berth.Server.Hosting.BerthOptions", throwOnError: true)!
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .Select(p => p.Name)
            .ToList();
        var switches = (Dictionary<string, string>)server.GetType("Berth.Server.Hosting.CommandLine", throwOnError: true)!
            .GetField("Switches", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!
            .GetValue(null)!;
        Assert.Contains("DataDir", options);
        Assert.Contains("--data-dir", switches.Keys);

        // Set, or shown commented out (settings without a default): either way the key is written as "Name":.
        var named = KeyPattern().Matches(File.ReadAllText(ExampleFile)).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var missing = options.Concat(switches.Values.Select(key => key[(key.LastIndexOf(':') + 1)..]))
            .Where(name => !named.Contains(name))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
        Assert.True(missing.Count == 0, $"appsettings.example.json lacks {string.Join(", ", missing)}");
    }

    [GeneratedRegex("\"([A-Za-z0-9]+)\"\\s*:")]
    private static partial Regex KeyPattern();

    private static string ServerDll() =>
        Environment.GetEnvironmentVariable("BERTH_SERVER_DLL")
        ?? typeof(RegistryServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "BerthServerDll").Value!;

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Berth.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no Berth.slnx above {AppContext.BaseDirectory}");
    }
}
