using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Berth.Bench;

/// <summary>
/// Issue 16, point 6: the floors a registry's byte paths cannot go below on this machine, measured as CPU time of the
/// one thread doing the work (getrusage per thread): SHA-256, a loopback receive into memory and into a file, a
/// loopback send of a cached file by read + send and by sendfile. Shown beside Berth's and Distribution's server CPU per
/// GB from the same run.
/// </summary>
internal sealed partial class Bench
{
    private const string LimitsId = "limits";

    // The section's lines, kept to add the registries' figures once the no-auth workloads have run.
    private List<string>? _limitsPreamble;
    private double? _uploadFloor;
    private double? _sendFloor;

    /// <summary>Measured before the registries run, so no earlier workload's dirty pages are being written back meanwhile.</summary>
    private async Task RunLimitsAsync(CancellationToken ct) =>
        await SectionAsync(LimitsId, "What the machine allows: hashing and loopback floors (CPU-s per GB, one thread)", new Results(), LimitsSectionAsync, ct);

    private async Task LimitsSectionAsync(List<string> preamble, CancellationToken ct)
    {
        _limitsPreamble = preamble;
        // The blob the uploads and GETs move, four times over; the file is in the page cache, as the registries' are.
        var rounds = 4;
        var bytes = (long)_uploadData.Length * rounds;
        var hash = await OnOwnThreadAsync(() =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            for (var i = 0; i < rounds; i++)
            {
                sha.AppendData(_uploadData);
            }

            sha.GetHashAndReset();
        });
        var receive = await LoopbackReceiveAsync(rounds, file: null, fsync: false, ct);
        var receiveToDisk = await LoopbackReceiveAsync(rounds, Dir(LimitsId, "received.bin"), fsync: true, ct);
        var receiveToFile = await LoopbackReceiveAsync(rounds, Dir(LimitsId, "received.bin"), fsync: false, ct);
        var readSend = await LoopbackSendAsync(rounds, sendfile: false, ct);
        var sendFile = await LoopbackSendAsync(rounds, sendfile: true, ct);
        var gb = bytes / 1e9;
        string PerGb(double seconds) => (seconds / gb).ToString("0.00", CultureInfo.InvariantCulture);
        _uploadFloor = (hash + receiveToDisk) / gb;
        _sendFloor = readSend / gb;
        preamble.Add($"- {Options.Size(bytes)} per figure (the run's {Options.Size(_uploadData.Length)} blob ×{rounds}), CPU time of the working thread only (user + system, getrusage), sender and receiver in this process on loopback, before either registry ran.");
        preamble.Add($"- SHA-256 (.NET's, OpenSSL underneath): **{PerGb(hash)}** CPU-s/GB.");
        preamble.Add($"- Loopback receive in 256 KiB reads, bytes dropped: **{PerGb(receive)}**; written to a file on the data disk (page cache): **{PerGb(receiveToFile)}**; written and fsynced (the registries fsync a blob before they answer): **{PerGb(receiveToDisk)}**.");
        preamble.Add($"- So an upload cannot cost less than **{PerGb(hash + receiveToDisk)}** CPU-s/GB here (receive, write, fsync, hash).");
        preamble.Add($"- Loopback send of a cached file: pread + send in 256 KiB pieces **{PerGb(readSend)}**; sendfile (zero-copy) **{PerGb(sendFile)}**.");
    }

    /// <summary>The registries' CPU per GB beside the floors, once the no-auth workloads have run.</summary>
    private void CompareWithLimits()
    {
        if (_limitsPreamble is not { } lines)
        {
            return;
        }

        string Measured(string key, double? floor)
        {
            var b = _results.Median(key, Registry.Berth);
            var d = _results.Median(key, Registry.Distribution);
            return b is null || d is null || floor is null
                ? "not measured in this run"
                : string.Create(CultureInfo.InvariantCulture, $"Berth **{b:0.00}** ({b / floor:0.0}× the floor), Distribution {d:0.00} ({d / floor:0.0}×)");
        }

        // Before the section's closing load-average line.
        lines.Insert(Math.Max(lines.Count - 1, 0), $"- Server CPU per GB in this run: monolithic upload {Measured("upload-mono.cpu_per_gb", _uploadFloor)}; chunked upload {Measured("upload-chunked.cpu_per_gb", _uploadFloor)}; blob GET {Measured("blob-get.cpu_per_gb", _sendFloor)} (floor: pread + send).");
    }

    private static Task<double> OnOwnThreadAsync(Action work)
    {
        var done = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                var before = ThreadCpuSeconds();
                work();
                done.SetResult(ThreadCpuSeconds() - before);
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }) { IsBackground = true };
        thread.Start();
        return done.Task;
    }

    /// <summary>CPU seconds of the receiving thread for <paramref name="rounds"/> sends of the run's blob.</summary>
    private async Task<double> LoopbackReceiveAsync(int rounds, string? file, bool fsync, CancellationToken ct)
    {
        using var listener = LoopbackListener();
        var receiving = OnOwnThreadAsync(() =>
        {
            using var connection = listener.Accept();
            using var output = file is null ? null : File.OpenHandle(file, FileMode.Create, FileAccess.Write);
            var buffer = new byte[256 * 1024];
            long offset = 0;
            int read;
            while ((read = connection.Receive(buffer)) > 0)
            {
                if (output is not null)
                {
                    RandomAccess.Write(output, buffer.AsSpan(0, read), offset);
                }

                offset += read;
            }

            if (output is not null && fsync)
            {
                RandomAccess.FlushToDisk(output);
            }
        });
        using (var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await sender.ConnectAsync(listener.LocalEndPoint!, ct);
            for (var i = 0; i < rounds; i++)
            {
                await sender.SendAsync(_uploadData, SocketFlags.None, ct);
            }

            sender.Shutdown(SocketShutdown.Send);
            var seconds = await receiving;
            if (file is not null)
            {
                File.Delete(file);
            }

            return seconds;
        }
    }

    /// <summary>CPU seconds of the sending thread for <paramref name="rounds"/> sends of the run's blob file.</summary>
    private async Task<double> LoopbackSendAsync(int rounds, bool sendfile, CancellationToken ct)
    {
        using var listener = LoopbackListener();
        var endpoint = listener.LocalEndPoint!;
        var draining = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync(ct);
            var buffer = new byte[256 * 1024];
            while (await connection.ReceiveAsync(buffer, SocketFlags.None, ct) > 0)
            {
            }
        }, ct);
        var seconds = await OnOwnThreadAsync(() =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(endpoint);
            using var file = File.OpenHandle(_uploadFile);
            var buffer = new byte[256 * 1024];
            for (var i = 0; i < rounds; i++)
            {
                if (sendfile)
                {
                    socket.SendFile(_uploadFile);
                    continue;
                }

                for (long offset = 0; offset < _uploadData.Length;)
                {
                    var read = RandomAccess.Read(file, buffer, offset);
                    socket.Send(buffer.AsSpan(0, read));
                    offset += read;
                }
            }

            socket.Shutdown(SocketShutdown.Send);
        });
        await draining;
        return seconds;
    }

    /// <summary>A listening socket on a free loopback port, for one connection.</summary>
    private static Socket LoopbackListener()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        return listener;
    }

    private static double ThreadCpuSeconds()
    {
        const int RusageThread = 1;
        if (GetRusage(RusageThread, out var usage) != 0)
        {
            throw new InvalidOperationException($"getrusage(RUSAGE_THREAD) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return usage.UserSeconds + usage.UserMicroseconds / 1e6 + usage.SystemSeconds + usage.SystemMicroseconds / 1e6;
    }

    [DllImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static extern int GetRusage(int who, out Rusage usage);

    // struct rusage on 64-bit Linux: two struct timeval, then fourteen longs.
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NvCsw, NivCsw;
    }
}
