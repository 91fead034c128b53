using System.CommandLine;
using IoTix.Broker.Security;

namespace IoTix.Web.Broker;

/// <summary>`iotix broker` (run the broker alone) and `iotix broker hash-password`.</summary>
internal static class BrokerCommand
{
    public static Command Create()
    {
        var command = new Command("broker", "Run the MQTT broker alone (no web console), with the same Broker:* configuration. Extra arguments are host settings, e.g. --Broker:Listeners:Tcp:Port=1884.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var app = BrokerWebApplication.Build([.. parseResult.UnmatchedTokens]);
            await app.RunAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        });

        var password = new Option<string?>("--password") { Description = "The password to hash; read from standard input when omitted (it then stays out of the shell history)." };
        var hash = new Command("hash-password", "Print a PBKDF2 hash for Broker:Users:N:PasswordHash.") { password };
        hash.SetAction(parseResult =>
        {
            var value = parseResult.GetValue(password) ?? Console.In.ReadLine();
            if (string.IsNullOrEmpty(value))
            {
                Console.Error.WriteLine("No password given: pass --password or write it to standard input.");
                return 2;
            }

            Console.Out.WriteLine(BrokerPasswordHasher.HashPassword(value));
            return 0;
        });
        command.Subcommands.Add(hash);
        return command;
    }
}
