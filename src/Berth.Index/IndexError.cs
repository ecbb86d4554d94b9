using System.Diagnostics.CodeAnalysis;

namespace Berth.Index;

/// <summary>An expected failure of an index operation, carried to the client as RFC 9457 problem details.</summary>
public sealed record IndexError(int Status, string Title, string? Detail = null)
{
    public static IndexError NotFound(string what) => new(404, "Not Found", $"{what} does not exist or you may not see it");

    public static IndexError Invalid(string detail) => new(400, "Invalid request", detail);

    public static IndexError Conflict(string detail) => new(409, "Conflict", detail);

    public static IndexError Forbidden(string detail) => new(403, "Forbidden", detail);

    public static IndexError Unauthorized(string detail = "authentication required") => new(401, "Unauthorized", detail);
}

/// <summary>A value or an <see cref="IndexError"/>.</summary>
public readonly struct Outcome<T>
{
    private Outcome(T? value, IndexError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public IndexError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(IndexError error) => new(default, error);
}
