using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Berth.Interop.Tests;

/// <summary>
/// What deploy/ ships: the systemd unit passes <c>systemd-analyze verify</c>, and the image that
/// deploy/image/build-offline.sh builds with buildah from nothing but this machine's files runs under podman, serves
/// /v2/, takes its own image pushed into it and gives it back with the same digests.
/// </summary>
public sealed class ServiceAndImageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminPassword = "image-test-admin-pw";
    private const string ContainerName = "berth-self";

    private readonly ToolSandbox _tools = new();

    [Fact]
    public async Task Systemd_unit_verifies_without_a_warning()
    {
        var unit = File.ReadAllText(Path.Combine(RepoRoot, "deploy", "systemd", "berth-server.service"));
        var lines = unit.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        foreach (var directive in new[]
                 {
                     "DynamicUser=yes", "StateDirectory=berth", "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes",
                     "ProtectHome=yes", "CapabilityBoundingSet=", "SystemCallFilter=@system-service", "KillSignal=SIGTERM",
                 })
        {
            Assert.Contains(directive, lines);
        }

        // The .NET JIT writes code and then runs it: with W^X enforced the server dies at start.
        Assert.DoesNotContain(lines, l => l.StartsWith("MemoryDenyWriteExecute=", StringComparison.Ordinal));
        var execStart = Assert.Single(lines, l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        Assert.StartsWith("ExecStart=/usr/local/bin/berth-server --data-dir ${STATE_DIRECTORY} ", execStart);

        // systemd-analyze checks that ExecStart's binary exists: a copy of the unit runs the server built with these
        // tests (the same executable install.sh puts at /usr/local/bin/berth-server) instead.
        var copy = Path.Combine(_tools.Root, "berth-server.service");
        File.WriteAllText(copy, unit.Replace("/usr/local/bin/berth-server", Path.Combine(ServerBuildDir, ServerExecutable), StringComparison.Ordinal));
        var verify = await Cli.RunAsync("systemd-analyze", ["verify", copy], TimeSpan.FromSeconds(60), _tools.Environment);
        Assert.True(verify.Succeeded, verify.ToString());
        // Unknown keys and bad values are only warnings (exit 0): there must be none.
        Assert.True(verify.Stdout.Trim().Length == 0 && verify.Stderr.Trim().Length == 0, verify.ToString());
    }

    /// <summary>
    /// The framework-dependent variant of the image (this build's output plus the host's .NET runtime) keeps the test to
    /// one buildah commit instead of a self-contained publish; the script's default publishes self-contained.
    /// </summary>
    [Fact]
    public async Task Offline_image_runs_and_pushes_itself_into_Berth_and_pulls_back_the_same_digests()
    {
        var stopwatch = Stopwatch.StartNew();
        var layout = new OciLayout(_tools.NewPath("image"));
        var build = await Cli.RunAsync(
            "bash",
            [
                Path.Combine(RepoRoot, "deploy", "image", "build-offline.sh"),
                "--publish-dir", ServerBuildDir,
                "--root", Path.Combine(_tools.Root, "image-root"),
                "--runroot", Path.Combine(_tools.Root, "irun"),
                "--storage-driver", "vfs",
                "--dest", layout.Reference("test"),
            ],
            TimeSpan.FromMinutes(5),
            _tools.Environment);
        build.EnsureSuccess();
        output.WriteLine($"build-offline.sh: {build.Elapsed.TotalSeconds:0.0} s");

        var built = layout.Resolve("test");
        var manifest = JsonNode.Parse(layout.ReadBlob(built.Digest))!;
        var layers = manifest["layers"]!.AsArray().Select(l => (string)l!["digest"]!).ToList();
        output.WriteLine($"image: {layers.Sum(l => new FileInfo(layout.BlobPath(l)).Length) / 1e6:0.0} MB in {layers.Count} layer(s)");
        var config = JsonNode.Parse(layout.ReadBlob((string)manifest["config"]!["digest"]!))!["config"]!;
        Assert.Equal("10001:10001", (string?)config["User"]);
        Assert.NotNull(config["ExposedPorts"]!["5000/tcp"]);
        Assert.NotNull(config["Volumes"]!["/var/lib/berth"]);
        Assert.Equal("/usr/local/bin/berth-server", (string?)config["Entrypoint"]![0]);
        Assert.False(string.IsNullOrEmpty((string?)config["Labels"]!["org.opencontainers.image.revision"]));

        // The container shares the host's network (no bridge, no port mapping to set up) and listens on a free loopback
        // port; a later --urls overrides the image's own. runc may only lower limits here (no CAP_SYS_RESOURCE), while
        // podman's defaults raise them: lower ones are passed instead.
        var port = RegistryServer.FreeLoopbackPort();
        var run = await _tools.PodmanAsync(
            "run", "--detach", "--name", ContainerName, "--network", "host",
            "--ulimit", $"nofile={LoweredLimit("Max open files")}", "--ulimit", $"nproc={LoweredLimit("Max processes")}",
            layout.Reference("test"),
            "--urls", $"http://127.0.0.1:{port}", "--admin-password", AdminPassword);
        run.EnsureSuccess();
        var registry = $"127.0.0.1:{port}";
        await WaitForV2Async(registry);
        output.WriteLine($"serving after {stopwatch.Elapsed.TotalSeconds:0.0} s");

        var user = (await _tools.PodmanAsync("top", ContainerName, "user")).EnsureSuccess().Stdout;
        Assert.Equal("berth", user.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last());

        // Berth's own image into Berth: the manifest is pushed as built, so its digest stays the one buildah made.
        var remote = $"docker://{registry}/berth/berth-server:self";
        var digestFile = Path.Combine(_tools.Root, "pushed.digest");
        (await _tools.SkopeoAsync(
            "copy", "--dest-tls-verify=false", "--dest-creds", $"admin:{AdminPassword}", "--digestfile", digestFile,
            layout.Reference("test"), remote)).EnsureSuccess();
        Assert.Equal(built.Digest, File.ReadAllText(digestFile).Trim());

        var pulled = new DirLayout(_tools.NewPath("pulled"));
        (await _tools.SkopeoAsync(
            "copy", "--src-tls-verify=false", "--src-creds", $"admin:{AdminPassword}", "--preserve-digests", remote, pulled.Reference)).EnsureSuccess();
        Assert.Equal(built.Digest, Blob.Sha256Digest(pulled.ReadManifest()));
        foreach (var layer in layers)
        {
            Assert.Equal(layer, Blob.Sha256Digest(pulled.ReadBlob(layer)));
        }

        // STOPSIGNAL SIGTERM: the server shuts down cleanly well before podman would resort to SIGKILL.
        (await _tools.PodmanAsync("stop", "--time", "30", ContainerName)).EnsureSuccess();
        var exitCode = (await _tools.PodmanAsync("inspect", "--format", "{{.State.ExitCode}}", ContainerName)).EnsureSuccess().Stdout.Trim();
        Assert.Equal("0", exitCode);
        output.WriteLine($"whole test: {stopwatch.Elapsed.TotalSeconds:0.0} s");
    }

    private static async Task WaitForV2Async(string registry)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        // The runtime JITs everything at start (no ReadyToRun in a test build): give a loaded machine its time.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync(new Uri($"http://{registry}/v2/"));
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException)
            {
                last = "timed out";
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"/v2/ of the container at {registry} did not answer within 120 s: {last}");
    }

    /// <summary>
    /// A value for <c>podman run --ulimit NAME=…</c> that never raises this process's own limit (from /proc/self/limits):
    /// 4096, or less if the hard limit is lower; plenty for one server under one test.
    /// </summary>
    private static string LoweredLimit(string name)
    {
        var line = File.ReadLines("/proc/self/limits").Single(l => l.StartsWith(name, StringComparison.Ordinal));
        var hard = line[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var value = hard == "unlimited" ? 4096 : Math.Min(4096, long.Parse(hard, System.Globalization.CultureInfo.InvariantCulture));
        return $"{value}:{value}";
    }

    private static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Berth.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"No Berth.slnx above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>The server built with these tests (bin/CONFIGURATION/net10.0, the tests' own configuration).</summary>
    private static string ServerBuildDir
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            return Path.Combine(RepoRoot, "src", "Berth.Server", "bin", configuration, "net10.0");
        }
    }

    private static string ServerExecutable =>
        new[] { "berth-server", "Berth.Server" }.First(name => File.Exists(Path.Combine(ServerBuildDir, name)));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // A container left running would keep the port and the sandbox's storage busy.
        await _tools.PodmanAsync("rm", "--force", ContainerName);
        _tools.Dispose();
    }
}
