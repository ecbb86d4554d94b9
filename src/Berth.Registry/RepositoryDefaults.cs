using Berth.Data.Entities;

namespace Berth.Registry;

/// <summary>What a repository created by its first push starts with.</summary>
public sealed record RepositoryDefaults(Visibility Visibility = Visibility.Private);
