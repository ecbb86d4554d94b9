using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Berth.Server.Hosting;

/// <summary>A start-up refusal: the one line to print and the exit code.</summary>
internal sealed record StartupProblem(string Message, int ExitCode);

/// <summary>
/// <c>--tls-cert FILE --tls-key FILE</c>: Kestrel serves every https:// URL (of --urls, and any Kestrel:Endpoints entry
/// without a certificate of its own) with this PEM pair. Without them, HTTPS is Kestrel's own configuration's business.
/// </summary>
internal static class TlsSetup
{
    /// <summary>The default listen address when a certificate is given and --urls is not.</summary>
    public const string DefaultHttpsUrls = "https://127.0.0.1:5000";

    /// <summary>Loads the pair and hands it to Kestrel; a problem when the options do not fit together or the files do not load.</summary>
    public static StartupProblem? UseTlsCertificate(this WebApplicationBuilder builder, BerthOptions options)
    {
        var certFile = Blank(options.TlsCert);
        var keyFile = Blank(options.TlsKey);
        if (certFile is null && keyFile is null)
        {
            return null;
        }

        if (certFile is null || keyFile is null)
        {
            return new($"{(certFile is null ? "--tls-key" : "--tls-cert")} needs {(certFile is null ? "--tls-cert" : "--tls-key")} too (a PEM certificate and its private key)", ExitCodes.Usage);
        }

        var urls = builder.Configuration["urls"];
        if (string.IsNullOrWhiteSpace(urls))
        {
            // Kestrel:Endpoints, when configured, are the operator's explicit choice (and override any URLs).
            urls = builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any() ? "" : DefaultHttpsUrls;
            if (urls.Length > 0)
            {
                builder.WebHost.UseUrls(urls);
            }
        }

        // Plain HTTP beside the certificate would carry passwords and tokens in clear on a server the operator meant to secure.
        var plain = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(url => url.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        if (plain is not null)
        {
            return new($"--urls {plain} is plain HTTP but --tls-cert is given: use https:// URLs", ExitCodes.Usage);
        }

        var (files, problem) = TlsCertificateFiles.Load(certFile, keyFile, TimeProvider.System);
        if (files is null)
        {
            return new(problem!, ExitCodes.Certificate);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            files.UseLogger(kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger<TlsCertificateFiles>());
            kestrel.ConfigureHttpsDefaults(https =>
            {
                https.ServerCertificate = files.First;
                https.ClientCertificateMode = ClientCertificateMode.NoCertificate;

                // Each handshake presents the files' current pair with its intermediates (renewed without a restart),
                // where Kestrel chose this pair: an endpoint configured with a certificate of its own keeps that one.
                https.OnAuthenticate = (_, ssl) =>
                {
                    if (files.IsChosenBy(ssl))
                    {
                        ssl.ServerCertificateContext = files.Current;
                    }
                };
            });
        });
        return null;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
