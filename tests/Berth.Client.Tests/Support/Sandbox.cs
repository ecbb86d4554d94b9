namespace Berth.Client.Tests.Support;

/// <summary>
/// A private home for berth, skopeo and podman: own HOME, DOCKER_CONFIG, auth.json, caches and temp dir, so tests
/// share no credentials or state with the machine or each other. podman runs as root on vfs storage.
/// </summary>
public sealed class Sandbox : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    private readonly Dictionary<string, string?> _environment;

    public Sandbox()
    {
        // Short: podman refuses a runroot longer than 50 characters.
        Root = Path.Combine("/tmp", $"bc-{Guid.NewGuid().ToString("N")[..12]}");
        foreach (var dir in new[] { Home, RuntimeDir, TempDir, DockerConfig })
        {
            Directory.CreateDirectory(dir);
        }

        var registriesConf = Path.Combine(Root, "registries.conf");
        File.WriteAllText(registriesConf, "unqualified-search-registries = []\nshort-name-mode = \"disabled\"\n");
        File.WriteAllText(AuthFile, """{"auths":{}}""");
        _environment = new Dictionary<string, string?>
        {
            ["HOME"] = Home,
            ["XDG_RUNTIME_DIR"] = RuntimeDir,
            ["XDG_CONFIG_HOME"] = Path.Combine(Home, ".config"),
            ["XDG_DATA_HOME"] = Path.Combine(Home, ".local", "share"),
            ["XDG_CACHE_HOME"] = Path.Combine(Home, ".cache"),
            ["TMPDIR"] = TempDir,
            ["CONTAINERS_REGISTRIES_CONF"] = registriesConf,
            ["REGISTRY_AUTH_FILE"] = AuthFile,
            ["DOCKER_CONFIG"] = DockerConfig,
            ["BERTH_CACHE_DIR"] = null,
            ["BERTH_DEBUG"] = "1",
        };
    }

    public string Root { get; }

    public string Home => Path.Combine(Root, "home");

    public string RuntimeDir => Path.Combine(Root, "run");

    public string TempDir => Path.Combine(Root, "tmp");

    /// <summary>docker's config directory; berth login writes config.json here.</summary>
    public string DockerConfig => Path.Combine(Home, ".docker");

    /// <summary>podman/skopeo's auth file (REGISTRY_AUTH_FILE).</summary>
    public string AuthFile => Path.Combine(Root, "auth.json");

    public IReadOnlyDictionary<string, string?> Environment => _environment;

    public string NewPath(string name) => Path.Combine(Root, $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)]);

    public OciLayout NewLayout(params (IManifestFixture Fixture, string Tag)[] fixtures)
    {
        var layout = OciLayout.Create(NewPath("layout"));
        foreach (var (fixture, tag) in fixtures)
        {
            layout.Add(fixture, tag);
        }

        return layout;
    }

    public Task<CliResult> BerthAsync(params string[] args) => BerthCli.RunAsync(args, Environment);

    public Task<CliResult> SkopeoAsync(params string[] args) =>
        Cli.RunAsync("skopeo", ["--insecure-policy", "--tmpdir", TempDir, .. args], Timeout, Environment);

    public Task<CliResult> PodmanAsync(params string[] args) =>
        Cli.RunAsync("podman",
        [
            "--root", Path.Combine(Root, "podman-root"),
            "--runroot", Path.Combine(Root, "prun"),
            "--tmpdir", Path.Combine(Root, "podman-tmp"),
            "--storage-driver", "vfs",
            "--cgroup-manager", "cgroupfs",
            "--events-backend", "file",
            .. args,
        ], Timeout, Environment);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
