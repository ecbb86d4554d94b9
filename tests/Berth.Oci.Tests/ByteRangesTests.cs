namespace Berth.Oci.Tests;

public class ByteRangesTests
{
    [Theory]
    [InlineData("0-99", 0, 99)]
    [InlineData("0-0", 0, 0)]
    [InlineData("100-199", 100, 199)]
    [InlineData("0-9223372036854775806", 0, 9223372036854775806)]
    public void Content_range_forms_are_parsed(string header, long start, long end)
    {
        Assert.True(ByteRanges.TryParseContentRange(header, out var parsedStart, out var parsedEnd));
        Assert.Equal(start, parsedStart);
        Assert.Equal(end, parsedEnd);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("5-4")]
    [InlineData("-1-5")]
    [InlineData("-5")]
    [InlineData("5-")]
    [InlineData("-")]
    [InlineData("abc")]
    [InlineData("a-b")]
    [InlineData("0x0-0x9")]
    [InlineData("1e3-2e3")]
    [InlineData("+1-5")]
    [InlineData("0-+5")]
    [InlineData("0 - 9")]
    [InlineData("0-9-10")]
    [InlineData("0-99999999999999999999")]
    [InlineData("\u0660-\u0669")]
    [InlineData("bytes")]
    [InlineData("bytes */100")]
    [InlineData("bytes 0-99/100")]
    [InlineData("0-9/10")]
    [InlineData("bytes=5-9")]
    [InlineData(" 7-8 ")]
    public void Malformed_content_ranges_are_rejected(string? header) =>
        Assert.False(ByteRanges.TryParseContentRange(header, out _, out _));

    [Theory]
    [InlineData("bytes=0-0", 100, 0, 1)]
    [InlineData("bytes=0-99", 100, 0, 100)]
    [InlineData("bytes=10-19", 100, 10, 10)]
    [InlineData("bytes=10-", 100, 10, 90)]
    [InlineData("bytes=99-", 100, 99, 1)]
    [InlineData("bytes=-5", 100, 95, 5)]
    [InlineData("bytes=-100", 100, 0, 100)]
    [InlineData("bytes=-1000", 100, 0, 100)]
    [InlineData("bytes=50-1000", 100, 50, 50)]
    [InlineData("bytes=0-9223372036854775806", 10, 0, 10)]
    [InlineData("BYTES=1-2", 10, 1, 2)]
    public void Satisfiable_ranges_give_offset_and_count(string header, long length, long offset, long count)
    {
        var range = ByteRanges.ParseRange(header, length, out var satisfiable);
        Assert.True(satisfiable);
        Assert.Equal((offset, count), range);
    }

    [Theory]
    [InlineData("bytes=100-", 100)]
    [InlineData("bytes=100-200", 100)]
    [InlineData("bytes=1000-", 100)]
    [InlineData("bytes=0-", 0)]
    [InlineData("bytes=-5", 0)]
    [InlineData("bytes=-0", 100)]
    [InlineData("bytes=5-4", 100)]
    [InlineData("bytes=abc", 100)]
    [InlineData("bytes=a-b", 100)]
    [InlineData("bytes=-1-5", 100)]
    [InlineData("bytes=", 100)]
    public void Unsatisfiable_ranges_are_flagged(string header, long length)
    {
        Assert.Null(ByteRanges.ParseRange(header, length, out var satisfiable));
        Assert.False(satisfiable);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("bytes=0-1,5-6")]
    [InlineData("bytes=0-1, 3-")]
    [InlineData("items=0-1")]
    [InlineData("0-1")]
    public void Ranges_not_honoured_serve_the_whole_body(string? header)
    {
        Assert.Null(ByteRanges.ParseRange(header, 100, out var satisfiable));
        Assert.True(satisfiable);
    }
}
