using System.Buffers.Binary;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using static IoTix.Tests.Core.Generators.GeneratorKit;

namespace IoTix.Tests.Core.Generators;

public sealed class EcgGeneratorTests
{
    private static TelemetryDefinition Ecg(string config) =>
        Item(TelemetryDataType.Binary, new GeneratorDefinition { Type = "custom", Handler = "ecg_generator", Config = Json(config) }, "ecgSamples");

    private static short[] Samples16(TelemetryGenerator generator, int calls)
    {
        var value = new TelemetryValue { Type = TelemetryDataType.Binary };
        var samples = new List<short>();
        for (int c = 0; c < calls; c++)
        {
            generator.Next(ref value, c * 400L);
            var bytes = value.BinarySpan;
            for (int i = 0; i < bytes.Length; i += 2)
            {
                samples.Add(BinaryPrimitives.ReadInt16LittleEndian(bytes[i..]));
            }
        }

        return [.. samples];
    }

    /// <summary>R peaks: local maxima above half the signal's maximum, at least 200 ms apart.</summary>
    private static List<int> RPeaks(short[] samples, int rate)
    {
        short max = samples.Max();
        int refractory = rate / 5;
        var peaks = new List<int>();
        for (int i = 1; i < samples.Length - 1; i++)
        {
            if (samples[i] > max / 2 && samples[i] >= samples[i - 1] && samples[i] > samples[i + 1]
                && (peaks.Count == 0 || i - peaks[^1] > refractory))
            {
                peaks.Add(i);
            }
        }

        return peaks;
    }

    [Theory]
    [InlineData(72)]
    [InlineData(120)]
    [InlineData(45)]
    public void R_peaks_come_at_the_configured_heart_rate(int heartRate)
    {
        var generator = Create(Ecg($$"""{"samples":200,"sampleSize":16,"samplingRate":500,"noiseLevel":0.05,"heartRate":{{heartRate}}}"""));

        short[] samples = Samples16(generator, 150); // 30,000 samples = 60 s
        var peaks = RPeaks(samples, 500);

        Assert.InRange(peaks.Count, heartRate - 3, heartRate + 3);
        var intervals = new double[peaks.Count - 1];
        for (int i = 1; i < peaks.Count; i++)
        {
            intervals[i - 1] = (peaks[i] - peaks[i - 1]) / 500.0;
        }

        Assert.InRange(Median(intervals), 60.0 / heartRate * 0.95, 60.0 / heartRate * 1.05);
    }

    [Fact]
    public void Sixteen_bit_samples_fill_samples_times_two_bytes_with_a_realistic_r_amplitude()
    {
        var generator = Create(Ecg("""{"samples":200,"sampleSize":16,"samplingRate":500,"noiseLevel":0.05}"""));
        var value = new TelemetryValue { Type = TelemetryDataType.Binary };

        generator.Next(ref value, 0);
        short[] samples = Samples16(generator, 50);

        Assert.Equal(400, value.BinaryLength);
        // R of 1.2 mV on a 2.5 mV full scale: about 15,700 counts; the baseline sits near zero.
        Assert.InRange(samples.Max(), (short)13_000, (short)19_000);
        Assert.InRange(Median([.. samples.Select(s => (double)s)]), -1_500, 1_500);
        Assert.True(samples.Min() < 0, "Q and S waves dip below the baseline");
    }

    [Theory]
    [InlineData(8, 200)]
    [InlineData(32, 800)]
    public void Other_sample_sizes_scale_the_buffer(int bits, int bytes)
    {
        var generator = Create(Ecg($$"""{"samples":200,"sampleSize":{{bits}}}"""));
        var value = new TelemetryValue { Type = TelemetryDataType.Binary };
        int max = int.MinValue;

        for (int c = 0; c < 10; c++)
        {
            generator.Next(ref value, c);
            for (int i = 0; i < value.BinaryLength; i += bits / 8)
            {
                int sample = bits == 8 ? (sbyte)value.Binary![i] : BinaryPrimitives.ReadInt32LittleEndian(value.BinarySpan[i..]);
                max = Math.Max(max, sample);
            }
        }

        Assert.Equal(bytes, value.BinaryLength);
        double fullScale = bits == 8 ? sbyte.MaxValue : int.MaxValue;
        Assert.InRange(max / fullScale, 0.4, 0.6);
    }

    [Fact]
    public void Waveform_continues_across_calls_exactly()
    {
        var chunked = Create(Ecg("""{"samples":200}"""), deviceId: "ecg-1");
        var whole = Create(Ecg("""{"samples":400}"""), deviceId: "ecg-1");
        var a = new TelemetryValue { Type = TelemetryDataType.Binary };
        var b = new TelemetryValue { Type = TelemetryDataType.Binary };

        chunked.Next(ref a, 0);
        byte[] first = a.BinarySpan.ToArray();
        chunked.Next(ref a, 400);
        byte[] second = a.BinarySpan.ToArray();
        whole.Next(ref b, 0);

        Assert.Equal([.. first, .. second], b.BinarySpan.ToArray());
    }

    [Fact]
    public void Noise_free_signal_has_no_jumps_between_calls()
    {
        var generator = Create(Ecg("""{"samples":50,"noiseLevel":0,"heartRateVariability":0}"""));

        short[] samples = Samples16(generator, 400);

        // The steepest slope of the wave (the R upstroke) bounds every sample-to-sample step, also at call boundaries.
        int steepest = 0;
        for (int i = 1; i < samples.Length; i++)
        {
            steepest = Math.Max(steepest, Math.Abs(samples[i] - samples[i - 1]));
        }

        for (int i = 50; i < samples.Length; i += 50)
        {
            Assert.True(Math.Abs(samples[i] - samples[i - 1]) <= steepest);
        }

        Assert.InRange(steepest, 1_000, 9_000);
    }

    [Theory]
    [InlineData("""{"sampleSize":12}""", "sampleSize must be 8, 16 or 32")]
    [InlineData("""{"samples":0}""", "samples must be a whole number")]
    [InlineData("""{"heartRate":400}""", "heartRate must be a number from 20 to 250")]
    [InlineData("""{"noise":0.1}""", "config.noise is not an ecg_generator setting")]
    public void Invalid_settings_are_reported(string config, string expected)
    {
        var error = Assert.Single(Errors(Ecg(config)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("ecg_generator: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ecg_on_a_non_binary_item_is_an_error()
    {
        var item = Item(TelemetryDataType.Number, new GeneratorDefinition { Type = "custom", Handler = "ecg_generator" });

        Assert.Contains("must be binary", Assert.Single(Errors(item)).Message, StringComparison.Ordinal);
    }
}
