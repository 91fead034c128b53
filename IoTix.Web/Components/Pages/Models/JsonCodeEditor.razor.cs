using BlazorMonaco.Editor;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace IoTix.Web.Components.Pages.Models;

/// <summary>
/// The JSON side of the model editor: a Monaco code editor (BlazorMonaco, its scripts served from the package, no
/// network). Text typed here goes out through <see cref="ValueChanged"/>; a new <see cref="Revision"/> (a form edit)
/// replaces the editor's text with <see cref="Value"/>.
/// </summary>
public sealed partial class JsonCodeEditor
{
    private StandaloneCodeEditor? _editor;
    private string _known = string.Empty;
    private int _appliedRevision = -1;
    private bool _ready;
    private string? _initialText;
    private bool _fallback;
    private bool _appliedDark;

    /// <summary>The JSON text.</summary>
    [Parameter]
    public string Value { get; set; } = string.Empty;

    /// <summary>Changes when <see cref="Value"/> was rewritten by someone else (the visual form).</summary>
    [Parameter]
    public int Revision { get; set; }

    [Parameter]
    public EventCallback<string> ValueChanged { get; set; }

    [Parameter]
    public bool ReadOnly { get; set; }

    /// <summary>Dark theme (Monaco's vs-dark) or light (vs); a change applies at once (Monaco's theme is global to the page).</summary>
    [Parameter]
    public bool Dark { get; set; }

    [Parameter]
    public string Height { get; set; } = "70vh";

    [Parameter]
    public string EditorId { get; set; } = "model-json";

    /// <summary>Takes text as if typed in the editor (the code editor's own change path; used by tests and tools).</summary>
    public Task ApplyTextAsync(string text)
    {
        _known = text;
        return ValueChanged.InvokeAsync(text);
    }

    protected override async Task OnParametersSetAsync()
    {
        if (_ready && Dark != _appliedDark)
        {
            await ApplyThemeAsync();
        }

        if (_appliedRevision == -1)
        {
            _appliedRevision = Revision;
            _known = Value;
            return;
        }

        if (Revision != _appliedRevision)
        {
            _appliedRevision = Revision;
            if (!string.Equals(_known, Value, StringComparison.Ordinal))
            {
                _known = Value;
                await PushAsync();
            }
        }
    }

    /// <summary>Puts <see cref="Value"/> into Monaco once it runs (before that, its construction options carry the text).</summary>
    private async Task PushAsync()
    {
        if (_editor is null || !_ready)
        {
            return;
        }

        try
        {
            await _editor.SetValue(_known);
        }
        catch (JSException)
        {
            _fallback = true;
        }
    }

    private static string ThemeOf(bool dark) => dark ? "vs-dark" : "vs";

    private async Task ApplyThemeAsync()
    {
        _appliedDark = Dark;
        try
        {
            await Global.SetTheme(ThemeOf(Dark));
        }
        catch (JSException)
        {
            _fallback = true;
        }
    }

    private async Task OnEditorReadyAsync()
    {
        _ready = true;

        // The theme toggled while Monaco was loading.
        if (Dark != _appliedDark)
        {
            await ApplyThemeAsync();
        }

        // Form edits made while Monaco was loading.
        if (!string.Equals(_initialText, _known, StringComparison.Ordinal))
        {
            await PushAsync();
        }
    }

    private StandaloneEditorConstructionOptions Options(StandaloneCodeEditor editor) => new()
    {
        Language = "json",
        Value = _initialText = _known,
        AutomaticLayout = true,
        ReadOnly = ReadOnly,
        Theme = ThemeOf(_appliedDark = Dark),
        Minimap = new EditorMinimapOptions { Enabled = false },
        ScrollBeyondLastLine = false,
        TabSize = 2,
        FontSize = 13,
    };

    private async Task OnContentChangedAsync(ModelContentChangedEvent change)
    {
        if (_editor is null)
        {
            return;
        }

        string text;
        try
        {
            text = await _editor.GetValue();
        }
        catch (JSException)
        {
            _fallback = true;
            return;
        }

        if (!string.Equals(text, _known, StringComparison.Ordinal))
        {
            await ApplyTextAsync(text);
        }
    }
}
