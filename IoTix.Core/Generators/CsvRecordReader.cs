using System.Text;

namespace IoTix.Core.Generators;

/// <summary>
/// Reads RFC 4180 CSV records: comma separated, fields optionally in double quotes with <c>""</c>
/// for a quote, line breaks inside quoted fields, CRLF/LF/CR line ends, an optional UTF-8 BOM.
/// Used once per replay file load, not on the hot path.
/// </summary>
internal sealed class CsvRecordReader(TextReader reader)
{
    private readonly StringBuilder _field = new();

    /// <summary>1-based number of the last record read (the header is record 1).</summary>
    public int RecordNumber { get; private set; }

    /// <summary>Reads the next non-blank record into <paramref name="fields"/>; false at the end of the input.</summary>
    public bool TryRead(List<string> fields, out string? error)
    {
        error = null;
        while (true)
        {
            fields.Clear();
            if (!TryReadRaw(fields, out error))
            {
                return false;
            }

            RecordNumber++;
            if (error is not null)
            {
                return true;
            }

            if (fields.Count == 1 && fields[0].Length == 0)
            {
                continue; // blank line
            }

            return true;
        }
    }

    private bool TryReadRaw(List<string> fields, out string? error)
    {
        error = null;
        int c = reader.Read();
        if (c < 0)
        {
            return false;
        }

        if (c == '\uFEFF' && RecordNumber == 0)
        {
            c = reader.Read();
            if (c < 0)
            {
                return false;
            }
        }

        _field.Clear();
        bool quoted = false;
        bool fieldStart = true;
        while (true)
        {
            if (quoted)
            {
                if (c < 0)
                {
                    error = "a quoted field is not closed before the end of the file";
                    fields.Add(_field.ToString());
                    return true;
                }

                if (c == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        _field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    _field.Append((char)c);
                }
            }
            else if (c < 0 || c == '\n' || c == '\r')
            {
                if (c == '\r' && reader.Peek() == '\n')
                {
                    reader.Read();
                }

                fields.Add(_field.ToString());
                return true;
            }
            else if (c == ',')
            {
                fields.Add(_field.ToString());
                _field.Clear();
                fieldStart = true;
                c = reader.Read();
                continue;
            }
            else if (c == '"' && fieldStart)
            {
                quoted = true;
            }
            else
            {
                _field.Append((char)c);
            }

            fieldStart = false;
            c = reader.Read();
        }
    }
}
