using Berth.Server.Api;

namespace Berth.Index.Tests;

public sealed class RepositoryPathTests
{
    [Theory]
    [InlineData("app", "app", null)]
    [InlineData("team/app", "team/app", null)]
    [InlineData("a/b/c/d", "a/b/c/d", null)]
    [InlineData("team/app/-/tags", "team/app", "tags")]
    [InlineData("team/app/-/comments/12", "team/app", "comments/12")]
    [InlineData("team/app/-/collaborators/users/bob", "team/app", "collaborators/users/bob")]
    [InlineData("team%2Fapp", "team/app", null)]
    [InlineData("team%2fapp/-/star", "team/app", "star")]
    [InlineData("my-app/x--y/-/tags", "my-app/x--y", "tags")]
    public void Splits_the_name_from_the_resource(string path, string name, string? resource)
    {
        Assert.True(RepositoryPath.TryParse(path, out var parsed));
        Assert.Equal(name, parsed.Name);
        Assert.Equal(resource, parsed.Resource);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("team/app/")]
    [InlineData("team//app")]
    [InlineData("Team/App")]
    [InlineData("team/app/-/")]
    [InlineData("team/-")]
    [InlineData("-/tags")]
    [InlineData("../etc/-/tags")]
    [InlineData("team/app%2F..%2Fx")]
    public void Rejects_what_cannot_be_a_repository(string? path) => Assert.False(RepositoryPath.TryParse(path, out _));

    [Fact]
    public void The_first_separator_ends_the_name()
    {
        Assert.True(RepositoryPath.TryParse("a/-/comments/-/x", out var parsed));
        Assert.Equal("a", parsed.Name);
        Assert.Equal("comments/-/x", parsed.Resource);
        Assert.False(parsed.Matches("comments/{id}", out _));
    }

    [Theory]
    [InlineData("", "", true, null)]
    [InlineData("tags", "tags", true, null)]
    [InlineData("tags", "", false, null)]
    [InlineData("", "tags", false, null)]
    [InlineData("comments/7", "comments/{id}", true, "7")]
    [InlineData("comments", "comments/{id}", false, null)]
    [InlineData("comments/7/x", "comments/{id}", false, null)]
    [InlineData("collaborators/users/bob", "collaborators/users/{user}", true, "bob")]
    [InlineData("collaborators/teams/bob", "collaborators/users/{user}", false, null)]
    [InlineData("collaborators/users/", "collaborators/users/{user}", false, null)]
    public void Matches_resource_patterns(string resource, string pattern, bool matches, string? argument)
    {
        var path = new RepositoryPath("a/b", resource.Length == 0 ? null : resource);
        Assert.Equal(matches, path.Matches(pattern, out var value));
        Assert.Equal(argument, matches ? value : null);
    }
}
