namespace IoTix.Web.Simulations;

/// <summary>How the host keeps simulations across restarts (section <c>IoTix:Simulation</c>, shared with the engine's settings).</summary>
public sealed class SimulationHostOptions
{
    public const string SectionName = "IoTix:Simulation";

    /// <summary>
    /// At start, start again the groups that were running and the single devices whose desired state is running
    /// (<c>IoTix:Simulation:ResumeOnStart</c>). Off: they are recreated, stopped.
    /// </summary>
    public bool ResumeOnStart { get; set; } = true;
}
