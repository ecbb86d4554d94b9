namespace Berth.Client.Auth;

/// <summary>Where credentials live on this machine, resolved from the environment the way docker and podman do.</summary>
public static class CredentialStores
{
    /// <summary>
    /// docker's <c>config.json</c> (<c>$DOCKER_CONFIG</c>, else <c>~/.docker</c>) is read and written; podman/skopeo's
    /// <c>auth.json</c> files (<c>$REGISTRY_AUTH_FILE</c>, <c>$XDG_RUNTIME_DIR/containers</c>,
    /// <c>$XDG_CONFIG_HOME/containers</c>) are read too, so a <c>podman login</c> works for berth.
    /// </summary>
    public static ICredentialStore Default(string? dockerConfigDir = null)
    {
        var home = Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var dockerDir = dockerConfigDir ?? NonEmpty("DOCKER_CONFIG") ?? Path.Combine(home, ".docker");
        var others = new List<string>();
        if (NonEmpty("REGISTRY_AUTH_FILE") is { } authFile)
        {
            others.Add(authFile);
        }

        if (NonEmpty("XDG_RUNTIME_DIR") is { } runtimeDir)
        {
            others.Add(Path.Combine(runtimeDir, "containers", "auth.json"));
        }

        others.Add(Path.Combine(NonEmpty("XDG_CONFIG_HOME") ?? Path.Combine(home, ".config"), "containers", "auth.json"));
        return new DockerConfigCredentialStore(Path.Combine(dockerDir, "config.json"), others.Distinct().ToList());
    }

    private static string? NonEmpty(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;
}
