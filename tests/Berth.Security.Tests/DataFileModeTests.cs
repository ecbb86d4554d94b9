using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using Berth.Testing;

namespace Berth.Security.Tests;

/// <summary>
/// Other local users must not read the registry's data: with the common umask 022 the database and blobs were
/// 0644. Started under umask 022, the server creates its data directory 0700 and every file in it 0600.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DataFileModeTests
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task Under_umask_022_the_data_directory_is_0700_and_its_files_0600()
    {
        var work = Directory.CreateTempSubdirectory("berth-modes-");
        var dataDir = Path.Combine(work.FullName, "data");
        var port = RegistryServer.FreeLoopbackPort();
        using var server = StartUnderUmask022(dataDir, port);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
            await WaitUntilReadyAsync(http, server);
            var blob = RandomNumberGenerator.GetBytes(4096);
            var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(blob));
            using var push = await http.PostAsync($"v2/modes/test/blobs/uploads/?digest={digest}", new ByteArrayContent(blob));
            Assert.Equal(HttpStatusCode.Created, push.StatusCode);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dataDir));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dataDir, "berth.db")));
            var blobFile = Directory.EnumerateFiles(dataDir, "*", SearchOption.AllDirectories)
                .FirstOrDefault(f => File.ReadAllBytes(f).AsSpan().SequenceEqual(blob));
            Assert.NotNull(blobFile);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(blobFile));

            // Everything else too: SQLite's -wal/-shm, upload files, the signing key, every directory on the way.
            var open = Directory.EnumerateFileSystemEntries(dataDir, "*", SearchOption.AllDirectories)
                .Where(p => (File.GetUnixFileMode(p) & GroupOrOther) != 0)
                .Select(p => $"{Path.GetRelativePath(dataDir, p)} {File.GetUnixFileMode(p)}")
                .ToList();
            Assert.True(open.Count == 0, "readable by others: " + string.Join(", ", open));
            Assert.Contains(Directory.EnumerateFiles(dataDir, "*", SearchOption.AllDirectories), f => f.EndsWith("berth.db-wal", StringComparison.Ordinal));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            work.Delete(recursive: true);
        }
    }

    /// <summary>The server as an operator with the usual umask starts it: through a shell that sets umask 022.</summary>
    private static Process StartUnderUmask022(string dataDir, int port)
    {
        var dll = Environment.GetEnvironmentVariable("BERTH_SERVER_DLL")
            ?? typeof(RegistryServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "BerthServerDll").Value!;
        var info = new ProcessStartInfo("sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("umask 022 && exec dotnet \"$0\" --urls \"http://127.0.0.1:$1\" --data-dir \"$2\" --auth none");
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(dataDir);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitUntilReadyAsync(HttpClient http, Process server)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(server.HasExited, "the server exited during start-up");
            try
            {
                using var response = await http.GetAsync("v2/");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        Assert.Fail("the server did not answer /v2/ within 60 s");
    }
}
