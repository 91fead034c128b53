using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace IoTix.Web.Data;

/// <summary>
/// Every <see cref="DateTime"/> is UTC in IoTix: written as UTC (Npgsql accepts only UTC for timestamptz; an
/// unspecified kind is taken as UTC) and read back with <see cref="DateTimeKind.Utc"/> (SQLite returns Unspecified).
/// </summary>
internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    static value => value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc),
    static value => DateTime.SpecifyKind(value, DateTimeKind.Utc));
