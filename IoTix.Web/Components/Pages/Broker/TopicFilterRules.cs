namespace IoTix.Web.Components.Pages.Broker;

/// <summary>MQTT topic filter rules in words [MQTT-4.7.1-1], [MQTT-4.7.1-2], [MQTT-4.7.3-1].</summary>
public static class TopicFilterRules
{
    public static bool IsValid(string filter, out string problem)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.Length == 0)
        {
            problem = "Enter a topic filter, e.g. sensors/+/temperature or devices/#.";
            return false;
        }

        if (filter.Contains('\0', StringComparison.Ordinal))
        {
            problem = "A topic filter cannot contain the null character.";
            return false;
        }

        var levels = filter.Split('/');
        for (var i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            if (level.Contains('#', StringComparison.Ordinal) && (level != "#" || i != levels.Length - 1))
            {
                problem = "'#' must be a whole level and the last one, e.g. devices/#.";
                return false;
            }

            if (level.Contains('+', StringComparison.Ordinal) && level != "+")
            {
                problem = "'+' must be a whole level, e.g. sensors/+/temperature.";
                return false;
            }
        }

        problem = "";
        return true;
    }
}
