using Berth.Testing.Images;

namespace Berth.Testing;

/// <summary>
/// A private world for skopeo, podman and buildah: own HOME, XDG dirs, registries.conf, temp dir and
/// (for podman/buildah) own vfs storage, so tests neither see nor touch the machine's images or each other's.
/// Works as root; vfs needs no fuse-overlayfs and no kernel overlay support.
/// </summary>
public sealed class ToolSandbox : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    private readonly Dictionary<string, string?> _environment;

    public ToolSandbox()
    {
        // Short on purpose: podman refuses a runroot longer than 50 characters.
        Root = Path.Combine(Path.GetTempPath(), "berth-tests", $"t-{Guid.NewGuid().ToString("N")[..12]}");
        if (Root.Length > 40)
        {
            Root = Path.Combine("/tmp", $"bt-{Guid.NewGuid().ToString("N")[..12]}");
        }

        foreach (var dir in new[] { Home, RuntimeDir, TempDir })
        {
            Directory.CreateDirectory(dir);
        }

        var registriesConf = Path.Combine(Root, "registries.conf");
        File.WriteAllText(registriesConf, "unqualified-search-registries = []\nshort-name-mode = \"disabled\"\n");
        // podman insists that REGISTRY_AUTH_FILE exists.
        var authFile = Path.Combine(Root, "auth.json");
        File.WriteAllText(authFile, """{"auths":{}}""");
        _environment = new Dictionary<string, string?>
        {
            ["HOME"] = Home,
            ["XDG_RUNTIME_DIR"] = RuntimeDir,
            ["XDG_CONFIG_HOME"] = Path.Combine(Home, ".config"),
            ["XDG_DATA_HOME"] = Path.Combine(Home, ".local", "share"),
            ["TMPDIR"] = TempDir,
            ["CONTAINERS_REGISTRIES_CONF"] = registriesConf,
            ["REGISTRY_AUTH_FILE"] = authFile,
            ["DOCKER_CONFIG"] = Path.Combine(Home, ".docker"),
        };
    }

    public string Root { get; }

    public string Home => Path.Combine(Root, "home");

    public string RuntimeDir => Path.Combine(Root, "run");

    public string TempDir => Path.Combine(Root, "tmp");

    public IReadOnlyDictionary<string, string?> Environment => _environment;

    /// <summary>A fresh, not yet existing path inside the sandbox.</summary>
    public string NewPath(string name) => Path.Combine(Root, $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)]);

    /// <summary>A new empty OCI layout inside the sandbox with <paramref name="fixtures"/> written to it by tag.</summary>
    public OciLayout NewLayout(params (IManifestFixture Fixture, string Tag)[] fixtures)
    {
        var layout = OciLayout.Create(NewPath("layout"));
        foreach (var (fixture, tag) in fixtures)
        {
            layout.Add(fixture, tag);
        }

        return layout;
    }

    public Task<CliResult> SkopeoAsync(params string[] args) =>
        Cli.RunAsync("skopeo", ["--insecure-policy", "--tmpdir", TempDir, .. args], Timeout, Environment);

    /// <summary>
    /// podman as root with its own vfs storage; no cgroups, events to a file (no systemd/journald here); runc where it is
    /// installed (docker.io brings it): crun, which Debian's podman may pick instead, refuses to start a container on a
    /// host with hybrid cgroups (v1 controllers beside a v2 hierarchy).
    /// </summary>
    public Task<CliResult> PodmanAsync(params string[] args) =>
        Cli.RunAsync("podman",
        [
            "--root", Path.Combine(Root, "podman-root"),
            "--runroot", Path.Combine(Root, "prun"),
            "--tmpdir", Path.Combine(Root, "podman-tmp"),
            "--storage-driver", "vfs",
            "--cgroup-manager", "cgroupfs",
            "--events-backend", "file",
            .. Runc is { } runc ? ["--runtime", runc] : Array.Empty<string>(),
            .. args,
        ], Timeout, Environment);

    private static readonly string? Runc = new[] { "/usr/sbin/runc", "/usr/bin/runc" }.FirstOrDefault(File.Exists);

    /// <summary>buildah as root with its own vfs storage.</summary>
    public Task<CliResult> BuildahAsync(params string[] args) =>
        Cli.RunAsync("buildah",
        [
            "--root", Path.Combine(Root, "buildah-root"),
            "--runroot", Path.Combine(Root, "brun"),
            "--storage-driver", "vfs",
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
            // Leftovers in the temp dir are harmless; never fail a test on clean-up.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
