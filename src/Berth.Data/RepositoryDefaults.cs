using Berth.Data.Entities;

namespace Berth.Data;

/// <summary>What a repository created by its first push starts with.</summary>
public sealed record RepositoryDefaults(Visibility Visibility = Visibility.Private);
