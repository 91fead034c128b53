using System.Globalization;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;

namespace IoTix.Core.Models;

/// <summary>Turns NJsonSchema's validation errors into <see cref="ModelError"/>s with JSON paths and plain words.</summary>
internal static class SchemaErrorTranslator
{
    public static void Translate(IEnumerable<ValidationError> errors, string? file, List<ModelError> output)
    {
        foreach (var error in errors)
        {
            if (error is ChildSchemaValidationError child && error.Kind is ValidationErrorKind.ArrayItemNotValid
                    or ValidationErrorKind.AdditionalItemNotValid or ValidationErrorKind.AdditionalPropertiesNotValid)
            {
                foreach (var nested in child.Errors.Values)
                {
                    Translate(nested, file, output);
                }

                continue;
            }

            var path = ToJsonPath(error.Path);
            if (error.Kind == ValidationErrorKind.PropertyRequired)
            {
                output.Add(new ModelError(file, ParentOf(path, error.Property), $"required property '{error.Property}' is missing"));
                continue;
            }

            // A value of the wrong type also fails its enum or pattern; report the type only.
            if (error.Kind is ValidationErrorKind.NotInEnumeration or ValidationErrorKind.PatternMismatch
                && output.Exists(e => e.Path == path && e.Message.StartsWith("must be a", StringComparison.Ordinal)))
            {
                continue;
            }

            output.Add(new ModelError(file, path, Describe(error)));
        }
    }

    /// <summary><c>#/telemetry[1].generator.min</c> (NJsonSchema) to <c>$.telemetry[1].generator.min</c>.</summary>
    internal static string ToJsonPath(string? schemaPath)
    {
        var rest = schemaPath ?? string.Empty;
        if (rest.StartsWith("#/", StringComparison.Ordinal))
        {
            rest = rest[2..];
        }
        else if (rest.StartsWith('#'))
        {
            rest = rest[1..];
        }

        if (rest.Length == 0)
        {
            return "$";
        }

        return rest[0] == '[' ? "$" + rest : "$." + rest;
    }

    private static string ParentOf(string path, string? property)
    {
        if (property is not null && path.EndsWith("." + property, StringComparison.Ordinal))
        {
            return path[..^(property.Length + 1)];
        }

        return path == "$." + property ? "$" : path;
    }

    private static string Describe(ValidationError error)
    {
        var schema = error.Schema;
        var found = DescribeToken(error.Token);
        return error.Kind switch
        {
            ValidationErrorKind.StringExpected => $"must be a string (found {found})",
            ValidationErrorKind.NumberExpected => $"must be a number (found {found})",
            ValidationErrorKind.IntegerExpected => $"must be a whole number (found {found})",
            ValidationErrorKind.BooleanExpected => $"must be a boolean, true or false (found {found})",
            ValidationErrorKind.ObjectExpected => $"must be an object (found {found})",
            ValidationErrorKind.ArrayExpected => $"must be an array (found {found})",
            ValidationErrorKind.NullExpected => $"must be null (found {found})",
            ValidationErrorKind.NotInEnumeration =>
                $"must be one of {string.Join(", ", schema.Enumeration.Select(v => v?.ToString()))} (found {found})",
            ValidationErrorKind.NumberTooSmall => schema.ExclusiveMinimum is not null || schema.IsExclusiveMinimum
                ? $"must be greater than {Number(schema.ExclusiveMinimum ?? schema.Minimum)} (found {found})"
                : $"must be at least {Number(schema.Minimum)} (found {found})",
            ValidationErrorKind.NumberTooBig => schema.ExclusiveMaximum is not null || schema.IsExclusiveMaximum
                ? $"must be less than {Number(schema.ExclusiveMaximum ?? schema.Maximum)} (found {found})"
                : $"must be at most {Number(schema.Maximum)} (found {found})",
            ValidationErrorKind.StringTooShort => schema.MinLength == 1
                ? "must not be empty"
                : $"must be at least {schema.MinLength} characters long",
            ValidationErrorKind.StringTooLong => $"must be at most {schema.MaxLength} characters long",
            ValidationErrorKind.PatternMismatch =>
                (schema.ExtensionData is { } ext && ext.TryGetValue("patternErrorMessage", out var message) && message is string text
                    ? text
                    : $"must match the pattern {schema.Pattern}") + $" (found {found})",
            ValidationErrorKind.NoAdditionalPropertiesAllowed =>
                $"unknown property '{error.Property}' (allowed: {string.Join(", ", schema.Properties.Keys.Where(k => k != "$schema"))})",
            ValidationErrorKind.TooFewItems => $"must have at least {schema.MinItems} items",
            ValidationErrorKind.TooManyItems => $"must have at most {schema.MaxItems} items",
            ValidationErrorKind.ItemsNotUnique => "must not contain the same item twice",
            _ => $"does not match the schema ({error.Kind})",
        };
    }

    private static string Number(decimal? value) =>
        value?.ToString(CultureInfo.InvariantCulture) ?? "?";

    internal static string DescribeToken(JToken? token) => token?.Type switch
    {
        null or JTokenType.Null or JTokenType.Undefined => "null",
        JTokenType.String => "\"" + Shorten(token.Value<string>() ?? string.Empty) + "\"",
        JTokenType.Integer or JTokenType.Float => token.ToString(Newtonsoft.Json.Formatting.None),
        JTokenType.Boolean => token.Value<bool>() ? "true" : "false",
        JTokenType.Object => "an object",
        JTokenType.Array => "an array",
        _ => token.Type.ToString().ToLowerInvariant(),
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
