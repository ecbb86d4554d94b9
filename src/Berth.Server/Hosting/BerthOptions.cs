namespace Berth.Server.Hosting;

/// <summary>
/// Everything an operator sets. Bound from the <c>Berth</c> section of appsettings.json, from <c>BERTH_*</c>
/// environment variables and from the command line (<see cref="CommandLine"/>), later sources winning.
/// </summary>
public sealed class BerthOptions
{
    public const string Section = "Berth";

    /// <summary>Where the database and the filesystem storage live.</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary><c>none</c> or <c>htpasswd</c>.</summary>
    public string Auth { get; set; } = "none";

    /// <summary>The htpasswd file (bcrypt entries) for <c>--auth htpasswd</c>.</summary>
    public string? Htpasswd { get; set; }

    /// <summary><c>filesystem</c> (default).</summary>
    public string Storage { get; set; } = "filesystem";

    /// <summary><c>sqlite</c> (default).</summary>
    public string Database { get; set; } = "sqlite";

    /// <summary>A connection string overriding the default SQLite file in the data directory.</summary>
    public string? ConnectionString { get; set; }

    public string FullDataDir => Path.GetFullPath(DataDir);
}
