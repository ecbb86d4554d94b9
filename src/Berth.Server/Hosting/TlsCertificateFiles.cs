using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Berth.Server.Hosting;

/// <summary>
/// The <c>--tls-cert/--tls-key</c> pair with the intermediates that follow the certificate in its file (sent in the
/// handshake: clients have the root, not the intermediates of a public CA), loaded again when either file changes (a renewal by certbot or the like) so
/// no restart is needed. Checked on a TLS handshake, at most once a second: two stat calls, off the path of most
/// handshakes. A pair that does not load (the key renewed before the certificate, or a broken file) is logged and the
/// previous certificate kept; the next change is tried again.
/// </summary>
internal sealed partial class TlsCertificateFiles
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly string _certFile;
    private readonly string _keyFile;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private ILogger? _logger;
    private SslStreamCertificateContext _current;
    private (DateTime Cert, DateTime Key, long CertLength, long KeyLength) _stamps;
    private long _checkedAt;

    private TlsCertificateFiles(string certFile, string keyFile, SslStreamCertificateContext certificate, TimeProvider time)
    {
        _certFile = certFile;
        _keyFile = keyFile;
        _time = time;
        _current = certificate;
        First = certificate.TargetCertificate;
        _stamps = Stamps();
        _checkedAt = time.GetTimestamp();
    }

    /// <summary>The files, loaded; or why they cannot be used (the same check every reload makes).</summary>
    public static (TlsCertificateFiles? Files, string? Problem) Load(string certFile, string keyFile, TimeProvider time)
    {
        var (certificate, problem) = TryLoad(Path.GetFullPath(certFile), Path.GetFullPath(keyFile), certFile, keyFile);
        return certificate is null ? (null, problem) : (new TlsCertificateFiles(Path.GetFullPath(certFile), Path.GetFullPath(keyFile), certificate, time), null);
    }

    /// <summary>The certificate loaded at start (Kestrel checks it is fit for server authentication).</summary>
    public X509Certificate2 First { get; }

    /// <summary>Whether Kestrel set up this handshake with the pair loaded at start (not an endpoint's own certificate).</summary>
    public bool IsChosenBy(SslServerAuthenticationOptions ssl) =>
        (ssl.ServerCertificateContext?.TargetCertificate ?? ssl.ServerCertificate as X509Certificate2)?.Thumbprint == First.Thumbprint;

    /// <summary>Where reloads are reported, once the host has its logging.</summary>
    public void UseLogger(ILogger logger) => _logger = logger;

    /// <summary>The certificate to present now: the files' current pair if they changed and load, else the last good one.</summary>
    public SslStreamCertificateContext Current
    {
        get
        {
            if (_time.GetElapsedTime(Interlocked.Read(ref _checkedAt)) < CheckInterval)
            {
                return Volatile.Read(ref _current);
            }

            lock (_lock)
            {
                if (_time.GetElapsedTime(_checkedAt) >= CheckInterval)
                {
                    Interlocked.Exchange(ref _checkedAt, _time.GetTimestamp());
                    Reload();
                }

                return _current;
            }
        }
    }

    private void Reload()
    {
        var stamps = Stamps();
        if (stamps == _stamps)
        {
            return;
        }

        _stamps = stamps;
        var (certificate, problem) = TryLoad(_certFile, _keyFile, _certFile, _keyFile);
        if (certificate is null)
        {
            if (_logger is not null)
            {
                LogReloadFailed(_logger, problem!);
            }

            return;
        }

        // The previous certificate is not disposed: a handshake may still be using it. One per renewal is nothing.
        Volatile.Write(ref _current, certificate);
        if (_logger is not null)
        {
            LogReloaded(_logger, _certFile, certificate.TargetCertificate.Subject, certificate.TargetCertificate.NotAfter.ToUniversalTime());
        }
    }

    private (DateTime, DateTime, long, long) Stamps()
    {
        var cert = new FileInfo(_certFile);
        var key = new FileInfo(_keyFile);
        return (cert.Exists ? cert.LastWriteTimeUtc : default, key.Exists ? key.LastWriteTimeUtc : default, cert.Exists ? cert.Length : -1, key.Exists ? key.Length : -1);
    }

    private static (SslStreamCertificateContext? Certificate, string? Problem) TryLoad(string certPath, string keyPath, string certName, string keyName)
    {
        try
        {
            // CreateFromPemFile takes the file's first certificate only; the rest of a full-chain file are its intermediates.
            var certificate = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            var chain = new X509Certificate2Collection();
            chain.ImportFromPemFile(certPath);
            var intermediates = new X509Certificate2Collection(chain.Where(c => c.Thumbprint != certificate.Thumbprint).ToArray());

            // offline: the chain is what the file says, never completed by fetching from the network at start.
            return (SslStreamCertificateContext.Create(certificate, intermediates, offline: true), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"cannot read the TLS certificate or key: {e.Message}");
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or NotSupportedException)
        {
            return (null, $"cannot use {certName} with {keyName} (a PEM certificate and its unencrypted PEM private key): {Reason(e)}");
        }
    }

    /// <summary>The exception's message without the "(Parameter 'privateKey')" an ArgumentException appends.</summary>
    private static string Reason(Exception e) =>
        e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;

    [LoggerMessage(Level = LogLevel.Information, Message = "Reloaded the TLS certificate {File}: {Subject}, valid until {NotAfter:u}")]
    private static partial void LogReloaded(ILogger logger, string file, string subject, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The TLS certificate files changed but do not load; still serving the previous certificate: {Problem}")]
    private static partial void LogReloadFailed(ILogger logger, string problem);
}
