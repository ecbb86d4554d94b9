namespace Berth.Index.Tests;

public sealed class PageRequestTests
{
    [Theory]
    [InlineData(null, null, 1, 25, 0)]
    [InlineData(3, 10, 3, 10, 20)]
    [InlineData(1, 100, 1, 100, 0)]
    public void Defaults_and_offsets(int? page, int? n, int expectedPage, int expectedSize, int skip)
    {
        var request = PageRequest.Create(page, n);
        Assert.True(request.IsSuccess);
        Assert.Equal(expectedPage, request.Value.Page);
        Assert.Equal(expectedSize, request.Value.Size);
        Assert.Equal(skip, request.Value.Skip);
    }

    [Theory]
    [InlineData(0, 25)]
    [InlineData(-1, 25)]
    [InlineData(1, 0)]
    [InlineData(1, 101)]
    [InlineData(int.MaxValue, 100)]
    public void Out_of_range_is_a_400(int page, int n)
    {
        var request = PageRequest.Create(page, n);
        Assert.False(request.IsSuccess);
        Assert.Equal(400, request.Error.Status);
    }
}
