namespace Berth.Index;

/// <summary>One page of a list: <see cref="Page"/> is 1-based, <see cref="Size"/> is 1–<see cref="MaxSize"/>.</summary>
public readonly record struct PageRequest
{
    public const int DefaultSize = 25;
    public const int MaxSize = 100;

    private PageRequest(int page, int size)
    {
        Page = page;
        Size = size;
    }

    public int Page { get; }

    public int Size { get; }

    /// <summary>Rows before this page.</summary>
    public int Skip => (Page - 1) * Size;

    public static PageRequest First { get; } = new(1, DefaultSize);

    /// <summary>Validates <c>page</c> and <c>n</c> from a request; absent values take the defaults.</summary>
    public static Outcome<PageRequest> Create(int? page, int? size)
    {
        var p = page ?? 1;
        var n = size ?? DefaultSize;
        if (n is < 1 or > MaxSize)
        {
            return IndexError.Invalid($"n (the page size) must be between 1 and {MaxSize}");
        }

        if (p < 1 || (long)(p - 1) * n > int.MaxValue)
        {
            return IndexError.Invalid("page must be a positive page number");
        }

        return new PageRequest(p, n);
    }
}
