using System.Security.Cryptography;

namespace Berth.Index.Accounts;

/// <summary>Random secrets (tokens, generated passwords) and their stored form.</summary>
public static class Secrets
{
    public const string PersonalAccessTokenPrefix = "berth_pat_";
    public const string RefreshTokenPrefix = "berth_rt_";

    public static string New(string prefix) =>
        prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>High-entropy secrets need no slow KDF: a SHA-256 is as good and keeps lookups indexable.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)));

    public static string NewPassword() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', 'x').Replace('/', 'y');
}
