using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using IoTix.Core.Models;
using Jint;
using Jint.Native;
using Jint.Native.Function;
using Jint.Runtime.Interop;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Generators;

/// <summary>
/// <c>script</c>: a JavaScript <c>function next(ctx)</c> (Jint) returning each value, for low-code
/// generators. <c>ctx</c> has <c>t</c> (ms since the device started), <c>index</c>,
/// <c>deviceId</c>, <c>state</c> (an object kept per device between calls) and <c>random()</c>
/// (seeded from the device's random source; <c>Math.random</c> is the same function, so runs
/// replay exactly). The script compiles once per model item into one sandboxed engine (no .NET
/// access; time, statement, memory and recursion limits from <see cref="GeneratorOptions"/>)
/// shared by that item's devices under a lock; globals are therefore shared by those devices,
/// per-device data belongs in <c>ctx.state</c>. A failing call (exception, limit, wrong result
/// type) is logged and counted and leaves the previous value. Scripts allocate on every call:
/// use them for thousands of devices, not for the million-device hot path.
/// </summary>
internal sealed partial class ScriptGeneratorHandler(IOptions<GeneratorOptions> options, ILogger<ScriptGeneratorHandler> logger)
    : IPreparingCustomGeneratorHandler
{
    public const string HandlerName = "script";

    private readonly ConditionalWeakTable<TelemetryDefinition, ScriptProgram> _programs = new();

    public string Name => HandlerName;

    public IReadOnlyList<string> Validate(TelemetryDefinition telemetry) =>
        TryGetProgram(telemetry, out _, out string? error) ? [] : [error];

    public TelemetryGenerator Create(TelemetryDefinition telemetry, in GeneratorContext context)
    {
        if (!TryGetProgram(telemetry, out var program, out string? error))
        {
            throw new ArgumentException($"invalid script generator: {error}", nameof(telemetry));
        }

        return program.CreateGenerator(context);
    }

    public bool TryPrepare(TelemetryDefinition telemetry, string? modelDirectory, [NotNullWhen(true)] out PreparedCustomGenerator? prepared, [NotNullWhen(false)] out string? error)
    {
        if (TryGetProgram(telemetry, out var program, out error))
        {
            prepared = program;
            return true;
        }

        prepared = null;
        return false;
    }

    private bool TryGetProgram(TelemetryDefinition telemetry, [NotNullWhen(true)] out ScriptProgram? program, [NotNullWhen(false)] out string? error)
    {
        if (_programs.TryGetValue(telemetry, out program))
        {
            error = null;
            return true;
        }

        var compiled = ScriptProgram.TryCompile(telemetry, options.Value, logger, out error);
        if (compiled is null)
        {
            error ??= "script does not compile";
            return false;
        }

        program = _programs.GetValue(telemetry, _ => compiled);
        return true;
    }
}

/// <summary>One compiled script item: the shared engine, its <c>next</c> function and its failure count.</summary>
internal sealed class ScriptProgram : PreparedCustomGenerator
{
    private readonly Engine _engine;
    private readonly JsValue _next;
    private readonly ClrFunction _random;
    private readonly ILogger _logger;
    private readonly string _item;
    private readonly Lock _gate = new();
    private ScriptGenerator? _current;
    private DeviceRandom _loadRandom = new(0);
    private long _failures;

    private ScriptProgram(Engine engine, JsValue next, ClrFunction random, ILogger logger, TelemetryDefinition telemetry)
    {
        _engine = engine;
        _next = next;
        _random = random;
        _logger = logger;
        _item = telemetry.Name;
        Type = telemetry.Type;
    }

    public TelemetryDataType Type { get; }

    /// <summary>Calls that failed since the program was compiled (all devices).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public static ScriptProgram? TryCompile(TelemetryDefinition telemetry, GeneratorOptions options, ILogger logger, out string? error)
    {
        string? source = telemetry.Generator.Script;
        if (string.IsNullOrWhiteSpace(source))
        {
            error = "the script handler needs a script with a function next(ctx)";
            return null;
        }

        Prepared<Acornima.Ast.Script> prepared;
        try
        {
            prepared = Engine.PrepareScript(source, source: telemetry.Name);
        }
        catch (Exception ex) when (ex is ScriptPreparationException or Acornima.ParseErrorException)
        {
            error = $"script does not compile: {(ex.InnerException ?? ex).Message}";
            return null;
        }

        var engine = new Engine(o => o
            .TimeoutInterval(TimeSpan.FromMilliseconds(options.ScriptTimeoutMs))
            .MaxStatements(options.ScriptMaxStatements)
            .LimitMemory(options.ScriptMemoryLimitBytes)
            .LimitRecursion(64));
        ScriptProgram? program = null;
        var random = new ClrFunction(engine, "random", (_, _) => JsNumber.Create(program is null ? 0 : program.NextRandom()));
        try
        {
            var math = engine.GetValue("Math").AsObject();
            math.Set("random", random);
            engine.Execute(in prepared);
            var next = engine.GetValue("next");
            if (next is not Function)
            {
                error = "script must define function next(ctx)";
                return null;
            }

            program = new ScriptProgram(engine, next, random, logger, telemetry);
            error = null;
            return program;
        }
        catch (Exception ex) when (ex is JintException or TimeoutException)
        {
            error = $"script fails when loaded: {ex.Message}";
            return null;
        }
    }

    public override TelemetryGenerator Create(in GeneratorContext context) => CreateGenerator(context);

    public ScriptGenerator CreateGenerator(in GeneratorContext context)
    {
        lock (_gate)
        {
            var ctx = new JsObject(_engine);
            ctx.Set("t", JsNumber.Create(0));
            ctx.Set("index", JsNumber.Create(context.Index));
            ctx.Set("deviceId", new JsString(context.DeviceId));
            ctx.Set("state", new JsObject(_engine));
            ctx.Set("random", _random);
            return new ScriptGenerator(this, ctx, DeviceRandom.For(context.RunSeed, context.DeviceId, context.Stream));
        }
    }

    private double NextRandom() => _current is null ? _loadRandom.NextDouble() : _current.NextRandom();

    /// <summary>Runs next(ctx) for one device; false (counted and logged) when the call fails.</summary>
    internal bool TryInvoke(ScriptGenerator generator, JsObject ctx, JsValue[] arguments, long nowMs, out JsValue result)
    {
        lock (_gate)
        {
            _current = generator;
            try
            {
                ctx.Set("t", JsNumber.Create(nowMs));
                result = _engine.Call(_next, JsValue.Undefined, arguments);
                return true;
            }
            catch (Exception ex) when (ex is JintException or TimeoutException or InvalidOperationException)
            {
                Fail(ex.Message);
                result = JsValue.Undefined;
                return false;
            }
            finally
            {
                _current = null;
            }
        }
    }

    internal void Fail(string reason)
    {
        long n = Interlocked.Increment(ref _failures);
        if (n == 1 || n % 1000 == 0)
        {
            ScriptLog.ScriptFailed(_logger, _item, n, reason);
        }
        else
        {
            ScriptLog.ScriptFailedAgain(_logger, _item, reason);
        }
    }
}

/// <summary>One device's script generator: its context object (with its state) and its random source.</summary>
internal sealed class ScriptGenerator : TelemetryGenerator
{
    private readonly ScriptProgram _program;
    private readonly JsObject _ctx;
    private readonly JsValue[] _arguments;
    private DeviceRandom _random;
    private byte[]? _binary;

    public ScriptGenerator(ScriptProgram program, JsObject ctx, DeviceRandom random)
    {
        _program = program;
        _ctx = ctx;
        _arguments = [ctx];
        _random = random;
    }

    internal ScriptProgram Program => _program;

    internal double NextRandom() => _random.NextDouble();

    public override void Next(ref TelemetryValue value, long nowMs)
    {
        if (!_program.TryInvoke(this, _ctx, _arguments, nowMs, out var result))
        {
            return;
        }

        if (!TryAssign(ref value, result, out string? problem))
        {
            _program.Fail(problem);
        }
    }

    private bool TryAssign(ref TelemetryValue value, JsValue result, [NotNullWhen(false)] out string? problem)
    {
        problem = null;
        switch (_program.Type)
        {
            case TelemetryDataType.Number:
            case TelemetryDataType.Integer:
                if (!result.IsNumber() || !double.IsFinite(result.AsNumber()))
                {
                    problem = $"next() returned {result}, not a finite number";
                    return false;
                }

                value.Number = _program.Type == TelemetryDataType.Integer ? GeneratorMath.RoundInteger(result.AsNumber()) : result.AsNumber();
                break;
            case TelemetryDataType.Boolean:
                if (!result.IsBoolean())
                {
                    problem = $"next() returned {result}, not a boolean";
                    return false;
                }

                value.Boolean = result.AsBoolean();
                break;
            case TelemetryDataType.String:
                if (result.IsNull() || result.IsUndefined() || result.IsObject())
                {
                    problem = $"next() returned {result}, not a string";
                    return false;
                }

                value.Text = result.ToString();
                break;
            default:
                if (!result.IsArray())
                {
                    problem = "next() must return an array of byte values (0..255) for a binary item";
                    return false;
                }

                var array = result.AsArray();
                int length = (int)array.Length;
                if (_binary is null || _binary.Length < length)
                {
                    _binary = new byte[length];
                }

                for (int i = 0; i < length; i++)
                {
                    var element = array.Get((uint)i);
                    double b = element.IsNumber() ? element.AsNumber() : double.NaN;
                    if (!(b >= 0 && b <= 255))
                    {
                        problem = $"next() returned an array whose element {i} is not a byte value (0..255)";
                        return false;
                    }

                    _binary[i] = (byte)b;
                }

                value.Binary = _binary;
                value.BinaryLength = length;
                break;
        }

        value.HasValue = true;
        return true;
    }
}
