using IoTix.Web.Audit;
using IoTix.Broker.Admin;
using IoTix.Web.Accounts;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>Connected clients: load, search, disconnect. Errors come back as words in <see cref="Message"/>.</summary>
public sealed class BrokerClientsViewModel(IBrokerAdmin admin, ConsoleAudit? audit = null)
{
    private IReadOnlyList<BrokerClientInfo> _clients = [];

    public bool IsRunning => admin.IsRunning;

    public bool Loading { get; private set; }

    public string Search { get; set; } = "";

    /// <summary>Outcome of the last action; null when none.</summary>
    public BrokerAdminResult? Message { get; private set; }

    public IReadOnlyList<BrokerClientInfo> All => _clients;

    /// <summary>Clients whose id, address, user, listener or protocol contain <see cref="Search"/>.</summary>
    public IReadOnlyList<BrokerClientInfo> Visible
    {
        get
        {
            var search = Search.Trim();
            if (search.Length == 0)
            {
                return _clients;
            }

            var result = new List<BrokerClientInfo>();
            foreach (var client in _clients)
            {
                if (client.ClientId.Contains(search, StringComparison.OrdinalIgnoreCase)
                    || client.Endpoint.Contains(search, StringComparison.OrdinalIgnoreCase)
                    || (client.UserName?.Contains(search, StringComparison.OrdinalIgnoreCase) ?? false)
                    || client.Listener.Equals(search, StringComparison.OrdinalIgnoreCase)
                    || client.ProtocolVersion.Equals(search, StringComparison.OrdinalIgnoreCase))
                {
                    result.Add(client);
                }
            }

            return result;
        }
    }

    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        Loading = true;
        try
        {
            _clients = await admin.GetClientsAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Loading = false;
        }
    }

    public async Task<BrokerAdminResult> DisconnectAsync(string clientId, CancellationToken cancellationToken = default)
    {
        if (await audit.PermissionRefusalAsync(Permissions.BrokerAdmin, "broker.client.disconnect", clientId, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return Message = new BrokerAdminResult(BrokerAdminError.Failed, refused);
        }

        Message = await admin.DisconnectClientAsync(clientId, cancellationToken).ConfigureAwait(false);
        await audit.AuditAsync("broker.client.disconnect", clientId, Message.Succeeded ? null : Message.Message, cancellationToken: cancellationToken).ConfigureAwait(false);
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return Message;
    }
}
