using System.Security.Cryptography;
using System.Text;

namespace Berth.Client.Transfer;

/// <summary>
/// Remembers open upload sessions on disk (one small file per registry/repository/digest), so a push that was killed
/// continues the registry's session from its stored offset instead of sending every byte again.
/// </summary>
public sealed class UploadJournal(string directory)
{
    public string Directory { get; } = directory;

    public Uri? Find(string registry, string repository, string digest)
    {
        var path = PathFor(registry, repository, digest);
        try
        {
            return File.Exists(path) && Uri.TryCreate(File.ReadAllText(path).Trim(), UriKind.Absolute, out var location) ? location : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Remember(string registry, string repository, string digest, Uri location)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllText(PathFor(registry, repository, digest), location.AbsoluteUri);
        }
        catch (IOException)
        {
            // Resuming is a bonus; a push never fails for want of a journal.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public void Forget(string registry, string repository, string digest)
    {
        try
        {
            File.Delete(PathFor(registry, repository, digest));
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private string PathFor(string registry, string repository, string digest) =>
        Path.Combine(Directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{registry}/{repository}@{digest}")))[..32] + ".upload");
}
