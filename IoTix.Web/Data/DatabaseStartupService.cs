namespace IoTix.Web.Data;

/// <summary>Brings the schema up to date when the host starts, before the services that read stored data.</summary>
internal sealed class DatabaseStartupService(IoTixDatabase database) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => database.TryEnsureReadyAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
