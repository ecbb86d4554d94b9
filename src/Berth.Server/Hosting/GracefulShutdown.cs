using Microsoft.Extensions.Options;

namespace Berth.Server.Hosting;

/// <summary>
/// SIGTERM (or Ctrl-C): Kestrel stops listening at once, so new connections are refused, and requests in flight get
/// <c>--shutdown-timeout-seconds</c> to finish (the host's <see cref="HostOptions.ShutdownTimeout"/>); background services
/// stop within the same time. An upload still streaming at three quarters of it is stopped by
/// <see cref="UploadsStopping"/>: its chunk records what it stored and answers 503, so the client resumes it (here after
/// a restart, or on another node) from that offset, rather than being cut at the deadline with its claim still held.
/// </summary>
internal sealed class GracefulShutdown : IDisposable
{
    private readonly CancellationTokenSource _uploads = new();
    private readonly CancellationTokenRegistration _stopping;

    public GracefulShutdown(IHostApplicationLifetime lifetime, IOptions<HostOptions> host, TimeProvider time)
    {
        var grace = host.Value.ShutdownTimeout * 3 / 4;
        _stopping = lifetime.ApplicationStopping.Register(() =>
        {
            // A timer on the injected clock; CancelAfter on a source made without one would use the system clock.
            var timer = time.CreateTimer(_ => Cancel(), null, grace, Timeout.InfiniteTimeSpan);
            _uploads.Token.Register(() => timer.Dispose());
        });
    }

    /// <summary>Fires when uploads streaming during shutdown must stop and record what they stored.</summary>
    public CancellationToken UploadsStopping => _uploads.Token;

    public void Dispose()
    {
        _stopping.Dispose();
        _uploads.Dispose();
    }

    private void Cancel()
    {
        try
        {
            _uploads.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The host finished stopping first.
        }
    }
}

internal static class GracefulShutdownServices
{
    public static IServiceCollection AddGracefulShutdown(this IServiceCollection services, BerthOptions options)
    {
        if (options.ShutdownTimeoutSeconds < 1)
        {
            throw new ConfigurationException($"--shutdown-timeout-seconds must be 1 or more, not {options.ShutdownTimeoutSeconds}");
        }

        services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownTimeoutSeconds));
        services.AddSingleton<GracefulShutdown>();
        return services;
    }
}
