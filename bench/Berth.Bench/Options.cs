using System.Globalization;

namespace Berth.Bench;

/// <summary>Command line of the harness. Every size and count is bounded; <c>--smoke</c> picks tiny ones.</summary>
internal sealed class Options
{
    public const string Usage = """
        Berth.Bench — Berth against CNCF Distribution 2.8.2, same machine, same run (usually started by bench/run.sh).

          --berth-dll PATH        Berth.Server.dll to run (Release build)          (required)
          --wrk-script PATH       bench/wrk.lua                                    (required)
          --baseline-dll PATH     another Berth.Server.dll, measured beside the two in the no-auth section
                                  (a third column and the ratio Berth / baseline: regressions between builds)
          --out DIR               where the Markdown table goes (bench/results)
          --work DIR              scratch directory (deleted at the end unless --keep)
          --smoke                 1 repetition, tiny sizes, no warm-up: checks that everything starts (< 2 min)
          --reps N                repetitions of every workload, interleaved Berth/Distribution (default 5)
          --duration S            seconds per wrk run (default 5)
          --blob-mib N            raw upload / GET blob size (default 256)
          --chunk-mib N           PATCH size of the chunked upload (default 32)
          --pull-mib N            layer size of the image pulled 16 times at once (default 64)
          --layers N              layers of the many-layer image (default 100, 64 KiB each)
          --entries N             repositories in the catalog and tags in the tag list (default 10000)
          --concurrent-pulls N    simultaneous skopeo pulls (default 16)
          --resume-mib N          upload continued on another process (resume-1g): size before the last chunk (default 1024)
          --resume-chunk-mib N    its PATCH size, the last chunk's too (default 64)
          --pg CS                 PostgreSQL to use (a connection string without Database; run.sh starts a throw-away
                                  cluster): needed by the sections pg and cluster
          --s3rver PATH           s3rver's bin/s3rver.js (run.sh installs it): needed by the sections s3 and cluster
          --no-auth               skip the htpasswd section
          --only IDS              run only these workloads (comma-separated ids, e.g. upload-mono,blob-get,catalog,token);
                                  idle (idle RSS), ui-repo (web UI page), token (the token section: /token, Bearer
                                  manifest GET and push vs Distribution with htpasswd), scale (catalog, tag-list and
                                  upload curves);
                                  a section id runs its whole section: s3 (Berth vs Distribution on s3rver), pg (Berth on
                                  PostgreSQL vs SQLite), s3files (Berth on s3rver vs on files), cluster (three nodes vs one behind nginx), mirror (Berth's pull-through
                                  cache vs Distribution's proxy mode), webhooks, gc (online garbage collection under
                                  load, Berth alone); s3.blob-get etc. one
                                  of its workloads
          --scale-entries LIST    scale section: catalog and tag-list sizes, ascending (default 1000,10000,100000)
          --scale-upload-mib LIST scale section: monolithic upload sizes in MiB (default 1,64,1024)
          --scale-fill-seconds S  scale section: time bound on filling the listings, per registry (default 240); a size
                                  not reached in time is measured at the count reached, and larger ones are skipped
          --idle-reps N           idle RSS: fresh starts of each registry (default 3)
          --note TEXT             a line for the results file: what else ran on the machine during this run
          --gc-blobs N            blobs filled for the gc section, 10 % of them garbage (default 100000)
          --max-minutes N         stop starting new measurements after N minutes (default 60)
          --keep                  keep the scratch directory
        """;

    public string BerthDll { get; private set; } = "";

    public string WrkScript { get; private set; } = "";

    public string? BaselineDll { get; private set; }

    public string OutDir { get; private set; } = "bench/results";

    public string WorkDir { get; private set; } = Path.Combine(Path.GetTempPath(), $"berth-bench-{Environment.ProcessId}");

    public bool Smoke { get; private set; }

    public int Reps { get; private set; } = 5;

    public int WrkSeconds { get; private set; } = 5;

    public long BlobBytes { get; private set; } = 256L << 20;

    public int ChunkBytes { get; private set; } = 32 << 20;

    public long PullLayerBytes { get; private set; } = 64L << 20;

    public int ManyLayers { get; private set; } = 100;

    public long ManyLayerBytes { get; private set; } = 64 << 10;

    public long IndexLayerBytes { get; private set; } = 1 << 20;

    public int Entries { get; private set; } = 10_000;

    /// <summary>Listing sizes of the scale section's catalog and tag-list curves, ascending.</summary>
    public IReadOnlyList<int> ScaleEntries { get; private set; } = [1_000, 10_000, 100_000];

    /// <summary>Blob sizes of the scale section's upload curve.</summary>
    public IReadOnlyList<long> ScaleUploadBytes { get; private set; } = [1L << 20, 64L << 20, 1L << 30];

    /// <summary>Bound on the time spent filling the scale section's listings, per registry.</summary>
    public int ScaleFillSeconds { get; private set; } = 240;

    public int IdleReps { get; private set; } = 3;

    /// <summary>What else ran on the machine (<c>--note</c>), for the results file.</summary>
    public string? SharedNote { get; private set; }

    /// <summary>Blobs filled for the gc section (10 % of them garbage).</summary>
    public int GcBlobs { get; private set; } = 100_000;

    public long ResumeBytes { get; private set; } = 1L << 30;

    public int ResumeChunkBytes { get; private set; } = 64 << 20;

    public int ConcurrentPulls { get; private set; } = 16;

    public int BlobGetsPerRep { get; private set; } = 4;

    public bool Auth { get; private set; } = true;

    public bool Warmup { get; private set; } = true;

    public int MaxMinutes { get; private set; } = 60;

    public bool Keep { get; private set; }

    public string? Postgres { get; private set; }

    public string? S3rverScript { get; private set; }

    /// <summary>Workload ids to run; empty means all.</summary>
    public HashSet<string> Only { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether a workload of a scale-out section (s3, pg, cluster) runs: the whole section, or that workload.</summary>
    public bool RunsIn(string section, string id) => Only.Count == 0 || Only.Contains(section) || Only.Contains($"{section}.{id}");

    public bool RunsSection(string section) => Only.Count == 0 || Only.Contains(section) || Only.Any(id => id.StartsWith(section + ".", StringComparison.Ordinal));

    public bool Runs(string id) => Only.Count == 0 || Only.Contains(id) || (id.StartsWith("auth.", StringComparison.Ordinal) && Only.Contains(id[5..]))
        || ((id.StartsWith("token.", StringComparison.Ordinal) || id == "ui-repo") && Only.Contains("token"));

    public static Options Parse(string[] args)
    {
        var o = new Options();
        // --smoke first, so explicit sizes can still override it.
        if (args.Contains("--smoke"))
        {
            o.Smoke = true;
            o.Reps = 1;
            o.WrkSeconds = 1;
            o.BlobBytes = 8L << 20;
            o.ChunkBytes = 2 << 20;
            o.PullLayerBytes = 1L << 20;
            o.ManyLayers = 10;
            o.ManyLayerBytes = 16 << 10;
            o.IndexLayerBytes = 16 << 10;
            o.Entries = 200;
            o.GcBlobs = 2_000;
            o.ScaleEntries = [50, 200];
            o.ScaleUploadBytes = [1L << 20, 4L << 20];
            o.ScaleFillSeconds = 30;
            o.IdleReps = 1;
            o.ResumeBytes = 16L << 20;
            o.ResumeChunkBytes = 4 << 20;
            o.ConcurrentPulls = 4;
            o.BlobGetsPerRep = 1;
            o.Warmup = false;
            o.MaxMinutes = 2;
        }

        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture) is var n and > 0 ? n : throw new ArgumentException($"{args[i - 1]} must be positive");
            List<int> List() => [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(v => int.Parse(v, CultureInfo.InvariantCulture) is var n and > 0 ? n : throw new ArgumentException($"{args[i - 1]}: sizes must be positive"))];
            switch (args[i])
            {
                case "--smoke": break;
                case "--berth-dll": o.BerthDll = Path.GetFullPath(Next()); break;
                case "--wrk-script": o.WrkScript = Path.GetFullPath(Next()); break;
                case "--baseline-dll": o.BaselineDll = Path.GetFullPath(Next()); break;
                case "--out": o.OutDir = Path.GetFullPath(Next()); break;
                case "--work": o.WorkDir = Path.GetFullPath(Next()); break;
                case "--reps": o.Reps = Math.Min(Int(), 50); break;
                case "--duration": o.WrkSeconds = Math.Min(Int(), 120); break;
                case "--blob-mib": o.BlobBytes = (long)Math.Min(Int(), 2047) << 20; break;
                case "--chunk-mib": o.ChunkBytes = Math.Min(Int(), 1024) << 20; break;
                case "--pull-mib": o.PullLayerBytes = (long)Math.Min(Int(), 1024) << 20; break;
                case "--layers": o.ManyLayers = Math.Min(Int(), 1000); break;
                case "--entries": o.Entries = Math.Min(Int(), 200_000); break;
                case "--scale-entries": o.ScaleEntries = [.. List().Select(n => Math.Clamp(n, 10, 1_000_000)).Distinct().Order()]; break;
                case "--scale-upload-mib": o.ScaleUploadBytes = [.. List().Select(n => (long)Math.Min(n, 4096) << 20).Distinct().Order()]; break;
                case "--scale-fill-seconds": o.ScaleFillSeconds = Math.Min(Int(), 3600); break;
                case "--idle-reps": o.IdleReps = Math.Min(Int(), 20); break;
                case "--note": o.SharedNote = Next(); break;
                case "--gc-blobs": o.GcBlobs = Math.Clamp(Int(), 1_000, 1_000_000); break;
                case "--concurrent-pulls": o.ConcurrentPulls = Math.Min(Int(), 64); break;
                case "--resume-mib": o.ResumeBytes = (long)Math.Min(Int(), 8192) << 20; break;
                case "--resume-chunk-mib": o.ResumeChunkBytes = Math.Min(Int(), 1024) << 20; break;
                case "--no-auth": o.Auth = false; break;
                case "--max-minutes": o.MaxMinutes = Math.Min(Int(), 600); break;
                case "--keep": o.Keep = true; break;
                case "--pg": o.Postgres = Next(); break;
                case "--s3rver": o.S3rverScript = Path.GetFullPath(Next()); break;
                case "--only": o.Only.UnionWith(Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
                case "-h" or "--help": throw new HelpRequested();
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        if (!File.Exists(o.BerthDll))
        {
            throw new ArgumentException($"--berth-dll '{o.BerthDll}' does not exist (build Berth.Server first)");
        }

        if (o.BaselineDll is not null && !File.Exists(o.BaselineDll))
        {
            throw new ArgumentException($"--baseline-dll '{o.BaselineDll}' does not exist");
        }

        if (!File.Exists(o.WrkScript))
        {
            throw new ArgumentException($"--wrk-script '{o.WrkScript}' does not exist");
        }

        return o;
    }

    public static string Size(long bytes) =>
        bytes >= 1 << 30 && bytes % (1 << 30) == 0 ? $"{bytes >> 30} GiB"
        : bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB"
        : $"{bytes >> 10} KiB";
}

internal sealed class HelpRequested : Exception;
