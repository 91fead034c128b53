using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using IoTix.Core.Models;

namespace IoTix.Core.Generators;

/// <summary>Settings of one <c>ecg_generator</c> item (from <c>config</c>), shared by all devices.</summary>
internal sealed class EcgSettings
{
    public int Samples { get; init; } = 200;
    public int SampleSize { get; init; } = 16;
    public double SamplingRate { get; init; } = 500;
    public double NoiseLevel { get; init; } = 0.05;
    public double HeartRate { get; init; } = 72;
    public double HeartRateVariability { get; init; } = 0.02;
    public double BaselineWanderMv { get; init; }
    public double FullScaleMv { get; init; } = 2.5;

    public int BytesPerSample => SampleSize / 8;
}

/// <summary>
/// <c>ecg_generator</c>: a synthetic single-lead ECG in the manner of ECGSYN (McSharry et al. 2003):
/// each beat is a sum of Gaussian waves P, Q, R, S, T with realistic amplitudes (mV) and widths;
/// beat-to-beat intervals vary with <c>heartRateVariability</c>; optional respiratory baseline
/// wander; Gaussian noise of <c>noiseLevel</c> times the R amplitude. Each value is
/// <c>samples</c> signed little-endian integers of <c>sampleSize</c> bits, full scale
/// ±<c>fullScaleMv</c>, continuing the waveform where the previous value ended.
/// </summary>
internal sealed class EcgGeneratorHandler : IPreparingCustomGeneratorHandler
{
    public const string HandlerName = "ecg_generator";

    private static readonly ConditionalWeakTable<TelemetryDefinition, EcgSettings> Parsed = new();

    public string Name => HandlerName;

    public IReadOnlyList<string> Validate(TelemetryDefinition telemetry)
    {
        var errors = new List<string>();
        TryParse(telemetry, errors);
        return errors;
    }

    public TelemetryGenerator Create(TelemetryDefinition telemetry, in GeneratorContext context)
    {
        if (!Parsed.TryGetValue(telemetry, out var settings))
        {
            var errors = new List<string>();
            settings = TryParse(telemetry, errors)
                ?? throw new ArgumentException($"invalid ecg_generator definition: {string.Join("; ", errors)}", nameof(telemetry));
            Parsed.AddOrUpdate(telemetry, settings);
        }

        return new EcgGenerator(settings, DeviceRandom.For(context.RunSeed, context.DeviceId, context.Stream));
    }

    public bool TryPrepare(TelemetryDefinition telemetry, string? modelDirectory, [NotNullWhen(true)] out PreparedCustomGenerator? prepared, [NotNullWhen(false)] out string? error)
    {
        var errors = new List<string>();
        var settings = TryParse(telemetry, errors);
        if (settings is null)
        {
            prepared = null;
            error = string.Join("; ", errors);
            return false;
        }

        prepared = new Prepared(settings);
        error = null;
        return true;
    }

    private sealed class Prepared(EcgSettings settings) : PreparedCustomGenerator
    {
        public override TelemetryGenerator Create(in GeneratorContext context) =>
            new EcgGenerator(settings, DeviceRandom.For(context.RunSeed, context.DeviceId, context.Stream));
    }

    internal static EcgSettings? TryParse(TelemetryDefinition telemetry, List<string> errors)
    {
        if (telemetry.Type != TelemetryDataType.Binary)
        {
            errors.Add($"ecg_generator produces binary samples; the item's type must be binary, not {telemetry.Type.ToString().ToLowerInvariant()}");
            return null;
        }

        int samples = 200, sampleSize = 16;
        double rate = 500, noise = 0.05, heartRate = 72, variability = 0.02, wander = 0, fullScale = 2.5;
        if (telemetry.Generator.Config is { } config)
        {
            if (config.ValueKind != JsonValueKind.Object)
            {
                errors.Add("config must be an object");
                return null;
            }

            foreach (var p in config.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "samples": ReadInt(p, 1, 100_000, ref samples, errors); break;
                    case "sampleSize":
                        ReadInt(p, 8, 32, ref sampleSize, errors);
                        if (sampleSize is not (8 or 16 or 32))
                        {
                            errors.Add("config.sampleSize must be 8, 16 or 32 (bits per sample)");
                        }

                        break;
                    case "samplingRate": ReadDouble(p, 50, 20_000, ref rate, errors); break;
                    case "noiseLevel": ReadDouble(p, 0, 1, ref noise, errors); break;
                    case "heartRate": ReadDouble(p, 20, 250, ref heartRate, errors); break;
                    case "heartRateVariability": ReadDouble(p, 0, 0.3, ref variability, errors); break;
                    case "baselineWander": ReadDouble(p, 0, 5, ref wander, errors); break;
                    case "fullScaleMv": ReadDouble(p, 0.1, 100, ref fullScale, errors); break;
                    default:
                        errors.Add($"config.{p.Name} is not an ecg_generator setting (samples, sampleSize, samplingRate, noiseLevel, heartRate, heartRateVariability, baselineWander, fullScaleMv)");
                        break;
                }
            }
        }

        if (errors.Count > 0)
        {
            return null;
        }

        return new EcgSettings
        {
            Samples = samples,
            SampleSize = sampleSize,
            SamplingRate = rate,
            NoiseLevel = noise,
            HeartRate = heartRate,
            HeartRateVariability = variability,
            BaselineWanderMv = wander,
            FullScaleMv = fullScale,
        };
    }

    private static void ReadInt(JsonProperty p, int min, int max, ref int target, List<string> errors)
    {
        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int v) || v < min || v > max)
        {
            errors.Add($"config.{p.Name} must be a whole number from {min} to {max}");
            return;
        }

        target = v;
    }

    private static void ReadDouble(JsonProperty p, double min, double max, ref double target, List<string> errors)
    {
        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out double v) || v < min || v > max)
        {
            errors.Add($"config.{p.Name} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
            return;
        }

        target = v;
    }
}

/// <summary>One device's ECG: its random source, its position in the current beat and its sample buffer.</summary>
internal sealed class EcgGenerator : TelemetryGenerator
{
    // Wave parameters relative to the R peak: amplitude (mV), centre (s), width sigma (s).
    // P and T centres and widths scale with sqrt(RR) (Bazett), as in ECGSYN.
    private const double PAmp = 0.15, PAt = -0.17, PWidth = 0.022;
    private const double QAmp = -0.12, QAt = -0.028, QWidth = 0.008;
    private const double RAmp = 1.2, RWidth = 0.010;
    private const double SAmp = -0.25, SAt = 0.028, SWidth = 0.009;
    private const double TAmp = 0.3, TAt = 0.29, TWidth = 0.055;

    private readonly EcgSettings _settings;
    private readonly byte[] _buffer;
    private readonly double _scale; // sqrt(mean RR) for P and T
    private DeviceRandom _random;
    private double _sinceR;   // seconds since the last R peak
    private double _rr;       // seconds from the last R peak to the next
    private double _rrNext;   // the interval after that
    private double _rrPrev;   // the interval before the last R peak
    private long _sampleIndex;

    public EcgGenerator(EcgSettings settings, DeviceRandom random)
    {
        _settings = settings;
        _random = random;
        _buffer = new byte[settings.Samples * settings.BytesPerSample];
        _scale = Math.Sqrt(60.0 / settings.HeartRate);
        _rrPrev = DrawRr();
        _rr = DrawRr();
        _rrNext = DrawRr();

        // Start mid-way between beats, at a random point, so devices are not in lockstep.
        _sinceR = _random.NextDouble() * _rr;
    }

    public override void Next(ref TelemetryValue value, long nowMs)
    {
        var s = _settings;
        double dt = 1.0 / s.SamplingRate;
        double toCounts = SampleMax(s.SampleSize) / s.FullScaleMv;
        double noiseSigma = s.NoiseLevel * RAmp;
        var span = _buffer.AsSpan();
        for (int i = 0; i < s.Samples; i++)
        {
            double mv = Beat(_sinceR + _rrPrev) + Beat(_sinceR) + Beat(_sinceR - _rr) + Beat(_sinceR - _rr - _rrNext);
            if (s.BaselineWanderMv > 0)
            {
                mv += s.BaselineWanderMv * Math.Sin(2 * Math.PI * 0.25 * _sampleIndex * dt);
            }

            if (noiseSigma > 0)
            {
                mv += noiseSigma * GeneratorMath.StandardNormal(ref _random);
            }

            Write(span, i, s.SampleSize, Math.Round(mv * toCounts));

            _sampleIndex++;
            _sinceR += dt;
            if (_sinceR >= _rr)
            {
                _sinceR -= _rr;
                _rrPrev = _rr;
                _rr = _rrNext;
                _rrNext = DrawRr();
            }
        }

        value.Binary = _buffer;
        value.BinaryLength = _buffer.Length;
        value.HasValue = true;
    }

    /// <summary>The waveform of one beat at time <paramref name="t"/> seconds from its R peak.</summary>
    private double Beat(double t)
    {
        if (t < -0.5 || t > 0.7)
        {
            return 0;
        }

        double k = _scale;
        return Wave(t, PAmp, PAt * k, PWidth * k)
            + Wave(t, QAmp, QAt, QWidth)
            + Wave(t, RAmp, 0, RWidth)
            + Wave(t, SAmp, SAt, SWidth)
            + Wave(t, TAmp, TAt * k, TWidth * k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Wave(double t, double amplitude, double centre, double width)
    {
        double z = (t - centre) / width;
        return z is > 6 or < -6 ? 0 : amplitude * Math.Exp(-0.5 * z * z);
    }

    private double DrawRr()
    {
        double mean = 60.0 / _settings.HeartRate;
        double rr = mean * (1 + (_settings.HeartRateVariability * GeneratorMath.StandardNormal(ref _random)));
        return Math.Clamp(rr, mean * 0.5, mean * 1.5);
    }

    private static double SampleMax(int bits) => bits switch
    {
        8 => sbyte.MaxValue,
        16 => short.MaxValue,
        _ => int.MaxValue,
    };

    private static void Write(Span<byte> buffer, int index, int bits, double counts)
    {
        switch (bits)
        {
            case 8:
                buffer[index] = (byte)(sbyte)Math.Clamp(counts, sbyte.MinValue, sbyte.MaxValue);
                break;
            case 16:
                BinaryPrimitives.WriteInt16LittleEndian(buffer[(index * 2)..], (short)Math.Clamp(counts, short.MinValue, short.MaxValue));
                break;
            default:
                BinaryPrimitives.WriteInt32LittleEndian(buffer[(index * 4)..], (int)Math.Clamp(counts, int.MinValue, int.MaxValue));
                break;
        }
    }
}
