namespace IoTix.Web.Components.Pages.Models;

/// <summary>How a <see cref="JsonField"/> edits its JSON property.</summary>
public enum FieldKind
{
    Text,
    Number,
    Integer,
    Bool,
    Select,

    /// <summary>Any JSON value, typed as JSON text (plain text becomes a string).</summary>
    Json,

    /// <summary>Long text (scripts, conditions).</summary>
    Multiline,
}
