using Berth.Oci;

namespace Berth.Mirror;

/// <summary>What is wrong with a mirror configuration, found at start rather than at the first pull.</summary>
public static class MirrorValidation
{
    private const int MaxUrlLength = 400;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first problem.</summary>
    public static void Check(IReadOnlyList<UpstreamOptions> upstreams)
    {
        if (Problem(upstreams) is { } problem)
        {
            throw new ArgumentException(problem, nameof(upstreams));
        }
    }

    public static string? Problem(IReadOnlyList<UpstreamOptions> upstreams)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var unnamed = 0;
        foreach (var upstream in upstreams)
        {
            var label = string.IsNullOrWhiteSpace(upstream.Name) ? "the unnamed mirror" : $"mirror {upstream.Name}";
            if (!Uri.TryCreate(upstream.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(url.UserInfo))
            {
                return $"{label}: Url '{upstream.Url}' is not an absolute http(s) URL without credentials (they go in Username and Password)";
            }

            if (upstream.Url.Length > MaxUrlLength)
            {
                // Repositories cached from an unnamed upstream record its URL as their source.
                return $"{label}: Url is longer than {MaxUrlLength} characters";
            }

            if (upstream.Pull is { } pull && !Enum.IsDefined(pull))
            {
                return $"{label}: Pull must be anyone or users";
            }

            if (upstream.TagTtl < TimeSpan.Zero)
            {
                return $"{label}: TagTtl must not be negative";
            }

            if (string.IsNullOrWhiteSpace(upstream.Name))
            {
                if (++unnamed > 1)
                {
                    return "only one mirror may be unnamed (the upstream of every repository); name the others (NAME=URL)";
                }

                continue;
            }

            var name = upstream.Name.Trim();
            if (name.Contains('/', StringComparison.Ordinal) || !RepositoryName.IsValid(name))
            {
                return $"mirror name '{name}' must be one lower-case repository path component (a host name such as docker.io; no port)";
            }

            if (!names.Add(name))
            {
                return $"mirror {name} is configured twice";
            }
        }

        return null;
    }
}
