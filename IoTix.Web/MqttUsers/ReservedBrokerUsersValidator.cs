using IoTix.Broker;
using Microsoft.Extensions.Options;

namespace IoTix.Web.MqttUsers;

/// <summary><c>Broker:Users</c> must not take the simulator's reserved name (<see cref="SimulatorIdentity.ReservedName"/>): a configured user wins over it, and the simulated devices could no longer connect.</summary>
internal sealed class ReservedBrokerUsersValidator : IValidateOptions<BrokerOptions>
{
    public ValidateOptionsResult Validate(string? name, BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        for (int i = 0; i < options.Users.Count; i++)
        {
            var username = options.Users[i].Username;
            var slash = username.LastIndexOf('/');
            if (SimulatorIdentity.IsReserved(slash < 0 ? username : username[(slash + 1)..]))
            {
                return ValidateOptionsResult.Fail($"Broker:Users:{i}:Username '{username}' is reserved: '{SimulatorIdentity.ReservedName}' (and '{{tenant}}/{SimulatorIdentity.ReservedName}') is the internal identity of the simulated devices; choose another name.");
            }
        }

        return ValidateOptionsResult.Success;
    }
}
