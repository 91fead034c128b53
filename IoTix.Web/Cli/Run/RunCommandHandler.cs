using IoTix.Core.Devices;
using IoTix.Core.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Cli.Run;

/// <summary>What <c>iotix run</c> does once its options are read: parse, host, model, run, report, exit code.</summary>
internal static class RunCommandHandler
{
    public static async Task<int> RunAsync(RunArguments arguments, RunEnvironment environment, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!arguments.TryBuild(out var settings, out var problems))
        {
            foreach (var problem in problems)
            {
                await error.WriteLineAsync($"run: {problem}").ConfigureAwait(false);
            }

            return RunExitCodes.Usage;
        }

        using var signals = environment.HandleSignals ? new RunSignals(cancellationToken) : null;
        cancellationToken = signals?.Token ?? cancellationToken;
        using var host = RunHost.Build(settings, environment);
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OptionsValidationException ex)
        {
            foreach (var failure in ex.Failures)
            {
                await error.WriteLineAsync($"run: configuration: {failure}").ConfigureAwait(false);
            }

            return RunExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return RunExitCodes.Interrupted;
        }

        try
        {
            var services = host.Services;
            if (!RunModelLoader.TryLoad(settings, services.GetRequiredService<DeviceModelValidator>(), services.GetRequiredService<IDeviceModelCatalog>(), out var model, out var modelErrors))
            {
                foreach (var line in modelErrors)
                {
                    await error.WriteLineAsync(line).ConfigureAwait(false);
                }

                return RunExitCodes.Usage;
            }

            await using var console = new RunConsole(output, settings.Progress, environment.DetectTerminal(output));
            var engine = services.GetRequiredService<SimulationEngine>();
            var run = new SimulationRun(engine, services.GetRequiredService<TimeProvider>(), settings, model!, console, environment);
            var population = run.CreateDevices();
            if (!population.Succeeded)
            {
                await error.WriteLineAsync($"run: {population.Error!.Message}").ConfigureAwait(false);
                return RunExitCodes.Usage;
            }

            var report = await run.ExecuteAsync(population.Value!, cancellationToken).ConfigureAwait(false);
            console.WriteSummary(report);
            if (settings.ReportPath is { } path)
            {
                report.WriteTo(path);
                await output.WriteLineAsync($"report written to {path}").ConfigureAwait(false);
            }

            return report.ExitCode;
        }
        finally
        {
            using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await host.StopAsync(stopTimeout.Token).ConfigureAwait(false);
        }
    }
}
