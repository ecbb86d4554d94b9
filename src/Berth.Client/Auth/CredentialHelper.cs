using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Berth.Client.Auth;

/// <summary>docker's credential helper protocol: <c>docker-credential-NAME get|store|erase</c> over stdin/stdout.</summary>
internal static class CredentialHelper
{
    private const string TokenUsername = "<token>";

    public static async Task<RegistryCredentials?> GetAsync(string helper, string registry, CancellationToken cancellationToken)
    {
        var (exit, output) = await RunAsync(helper, "get", registry, cancellationToken);
        if (exit != 0)
        {
            // Helpers answer "credentials not found in native keychain" with a non-zero exit: that is "none", not an error.
            return null;
        }

        var json = JsonNode.Parse(output);
        var username = (string?)json?["Username"];
        var secret = (string?)json?["Secret"];
        return username == TokenUsername
            ? new RegistryCredentials(null, null, secret)
            : new RegistryCredentials(username, secret);
    }

    public static async Task StoreAsync(string helper, string registry, RegistryCredentials credentials, CancellationToken cancellationToken)
    {
        var payload = new JsonObject
        {
            ["ServerURL"] = registry,
            ["Username"] = credentials.IdentityToken is null ? credentials.Username : TokenUsername,
            ["Secret"] = credentials.IdentityToken ?? credentials.Password,
        };
        var (exit, output) = await RunAsync(helper, "store", payload.ToJsonString(Content.ClientJson.Compact), cancellationToken);
        if (exit != 0)
        {
            throw new InvalidOperationException($"docker-credential-{helper} store failed: {output.Trim()}");
        }
    }

    public static async Task EraseAsync(string helper, string registry, CancellationToken cancellationToken) =>
        await RunAsync(helper, "erase", registry, cancellationToken);

    private static async Task<(int Exit, string Output)> RunAsync(string helper, string verb, string input, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo($"docker-credential-{helper}", verb)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"docker-credential-{helper} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"the docker config names the credential helper '{helper}', but docker-credential-{helper} is not installed", e);
        }

        using (process)
        {
            await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken);
            process.StandardInput.Close();
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return (process.ExitCode, output);
        }
    }
}
