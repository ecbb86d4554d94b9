using Berth.Client.Content;

namespace Berth.Client.Layouts;

/// <summary>Read access to the files of an OCI layout or archive, whether a directory or a tarball.</summary>
internal interface ILayoutFiles : IDisposable
{
    string Name { get; }

    bool Exists(string path);

    long Length(string path);

    Stream Open(string path, long offset);

    byte[] ReadAll(string path);
}

/// <summary>A directory on disk.</summary>
internal sealed class DirectoryFiles(string root) : ILayoutFiles
{
    public string Name => root;

    public bool Exists(string path) => File.Exists(Full(path));

    public long Length(string path) => new FileInfo(Full(path)).Length;

    public Stream Open(string path, long offset) => BlobFiles.OpenRead(Full(path), offset);

    public byte[] ReadAll(string path) => File.ReadAllBytes(Full(path));

    public void Dispose()
    {
    }

    /// <summary>Paths come from index.json and manifests: never let one escape the layout.</summary>
    private string Full(string path)
    {
        var full = Path.GetFullPath(Path.Combine(root, path));
        var rootFull = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return full.StartsWith(rootFull, StringComparison.Ordinal)
            ? full
            : throw new InvalidDataException($"'{path}' points outside {root}");
    }
}
