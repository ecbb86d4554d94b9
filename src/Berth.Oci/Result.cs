using System.Diagnostics.CodeAnalysis;

namespace Berth.Oci;

/// <summary>An expected outcome: a value or an <see cref="OciError"/>. Exceptions are kept for bugs.</summary>
public readonly struct Result<T>
{
    private Result(T? value, OciError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public OciError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    public static implicit operator Result<T>(T value) => new(value, null);

    public static implicit operator Result<T>(OciError error) => new(default, error);
}
