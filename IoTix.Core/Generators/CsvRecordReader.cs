using CsvHelper;

namespace IoTix.Core.Generators;

/// <summary>
/// Reads CSV records for replay files through CsvHelper (RFC 4180: quoted fields, line breaks
/// inside quotes, any line end, a UTF-8 BOM), skipping blank lines and turning malformed quoting
/// into an error value. Used once per replay file load, not on the hot path.
/// </summary>
internal sealed class CsvRecordReader(TextReader reader) : IDisposable
{
    private static readonly CsvReaderOptions Options = new()
    {
        HasHeader = false, // the caller reads the header as record 1 to report columns by name
        SkipEmptyLines = true,
        MalformedData = CsvMalformedDataHandling.Throw,
    };

    private readonly CsvReader _csv = CsvReader.Create(reader, Options, false);

    /// <summary>1-based number of the last record read (the header is record 1).</summary>
    public int RecordNumber { get; private set; }

    /// <summary>Reads the next non-blank record into <paramref name="fields"/>; false at the end of the input.</summary>
    public bool TryRead(List<string> fields, out string? error)
    {
        fields.Clear();
        error = null;
        try
        {
            if (!_csv.Read())
            {
                return false;
            }
        }
        catch (CsvFormatException ex)
        {
            RecordNumber++;
            error = ex.Message;
            return true;
        }

        RecordNumber++;
        for (int i = 0; i < _csv.FieldCount; i++)
        {
            fields.Add(_csv.GetString(i));
        }

        return true;
    }

    public void Dispose() => _csv.Dispose();
}
