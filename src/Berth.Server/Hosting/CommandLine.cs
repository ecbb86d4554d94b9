using System.Collections;

namespace Berth.Server.Hosting;

/// <summary>The command-line and environment contract of <c>berth-server</c>. Option names here are stable.</summary>
internal static class CommandLine
{
    public const string DefaultUrls = "http://127.0.0.1:5000";

    /// <summary>Switches and the configuration keys they set.</summary>
    public static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--data-dir"] = "Berth:DataDir",
        ["--auth"] = "Berth:Auth",
        ["--htpasswd"] = "Berth:Htpasswd",
        ["--storage"] = "Berth:Storage",
        ["--database"] = "Berth:Database",
        ["--connection-string"] = "Berth:ConnectionString",
    };

    public const string Help = """
        berth-server — an OCI / Docker registry.

        Usage: berth-server [options]

        Options (each also settable in appsettings.json under "Berth" and as an environment variable):
          --urls URLS                 Addresses to listen on (default http://127.0.0.1:5000)      ASPNETCORE_URLS
          --data-dir DIR              Database and blob storage directory (default ./data)        BERTH_DATA_DIR
          --auth none|htpasswd        Access control (default none)                               BERTH_AUTH
          --htpasswd FILE             bcrypt htpasswd file for --auth htpasswd                    BERTH_HTPASSWD
          --storage filesystem        Blob storage driver (default filesystem, in DATA_DIR/storage) BERTH_STORAGE
          --database sqlite           Metadata database (default sqlite, DATA_DIR/berth.db)       BERTH_DATABASE
          --connection-string CS      Database connection string (overrides the default file)     BERTH_CONNECTION_STRING
          -h, --help                  Show this help

        TLS: configure Kestrel certificates in appsettings.json (Kestrel:Endpoints) and use https:// URLs.
        """;

    /// <summary><c>BERTH_DATA_DIR</c> → <c>Berth:DATADIR</c> (configuration keys ignore case).</summary>
    public static IEnumerable<KeyValuePair<string, string?>> EnvironmentSettings()
    {
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var name = (string)entry.Key;
            if (name.StartsWith("BERTH_", StringComparison.Ordinal) && name.Length > 6)
            {
                yield return new($"{BerthOptions.Section}:{name[6..].Replace("_", "", StringComparison.Ordinal)}", (string?)entry.Value);
            }
        }
    }
}
