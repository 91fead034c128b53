using IoTix.Web.Cli;
using IoTix.Web.Hosting;

// `iotix` with no command (or only host options such as --urls) serves the console, the API and
// the hosted broker; `iotix validate|run|broker ...` are command-line tools (see `iotix --help`).
if (!IoTixCommandLine.IsCommand(args))
{
    var app = IoTixWebApplication.Build(args);
    await app.RunAsync();
    return 0;
}

return await IoTixCommandLine.InvokeAsync(args);
