using System.Security.Cryptography;
using Berth.Storage.S3;

namespace Berth.Registry.Tests.Storage;

public sealed class RunningMd5Tests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(0, 55)]
    [InlineData(0, 56)]
    [InlineData(0, 63)]
    [InlineData(64, 0)]
    [InlineData(128, 64)]
    [InlineData(4096, 1000)]
    [InlineData(65_536, 119)]
    public void Blocks_exported_imported_and_finished_give_the_md5_of_all_bytes(int blocks, int last)
    {
        var data = new byte[blocks + last];
        new Random(blocks + last).NextBytes(data);

        var md5 = RunningMd5.Create();
        md5.AppendBlocks(data.AsSpan(0, blocks / 2 / 64 * 64));
        var resumed = RunningMd5.Import(md5.Export());
        Assert.NotNull(resumed);
        var running = resumed.Value;
        running.AppendBlocks(data.AsSpan(blocks / 2 / 64 * 64, blocks - (blocks / 2 / 64 * 64)));

        Assert.Equal(MD5.HashData(data), running.Finish(data.AsSpan(blocks)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    [InlineData(1_048_576)]
    public void The_managed_transform_agrees_with_openssl(int length)
    {
        var data = new byte[length + 64];
        new Random(length).NextBytes(data);
        var native = RunningMd5.Create();
        native.AppendBlocks(data.AsSpan(0, length));
        var managed = RunningMd5.Create();
        managed.AppendBlocks(data.AsSpan(0, length), managed: true);

        Assert.Equal(native.Export(), managed.Export());
        managed.AppendBlocks(data.AsSpan(length), managed: true);
        Assert.Equal(MD5.HashData(data), managed.Finish([]));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("00112233445566778899aabbccddeeff:63")]
    [InlineData("00112233445566778899aabbccddeeff:-64")]
    [InlineData("00112233445566778899aabbccddeeZZ:64")]
    [InlineData("0011:64")]
    public void Foreign_states_are_refused(string? state) => Assert.Null(RunningMd5.Import(state));
}
