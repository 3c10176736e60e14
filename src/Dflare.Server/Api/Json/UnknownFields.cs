using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Dflare.Core.Resources;

namespace Dflare.Server.Api.Json;

/// <summary>
/// Finds every member of a JSON document that the target type does not declare, with its full path. The
/// serializer's own check stops at the first and words it for .NET developers; clients need all of them, by path.
/// </summary>
internal static class UnknownFields
{
    public static List<FieldError> Find(JsonElement element, JsonTypeInfo typeInfo)
    {
        var errors = new List<FieldError>();
        Walk(element, typeInfo, path: "", errors);
        return errors;
    }

    private static void Walk(JsonElement element, JsonTypeInfo typeInfo, string path, List<FieldError> errors)
    {
        switch (typeInfo.Kind)
        {
            case JsonTypeInfoKind.Object when element.ValueKind == JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    var memberPath = path.Length == 0 ? member.Name : $"{path}.{member.Name}";
                    var property = typeInfo.Properties.FirstOrDefault(p => p.Name == member.Name);
                    if (property is null)
                    {
                        errors.Add(new FieldError(memberPath, FieldErrorCodes.UnknownField, $"'{memberPath}' is not a field of {Describe(typeInfo, path)}."));
                    }
                    else
                    {
                        Walk(member.Value, typeInfo.Options.GetTypeInfo(property.PropertyType), memberPath, errors);
                    }
                }
                break;
            case JsonTypeInfoKind.Dictionary when element.ValueKind == JsonValueKind.Object && typeInfo.ElementType is { } valueType:
                var valueInfo = typeInfo.Options.GetTypeInfo(valueType);
                foreach (var member in element.EnumerateObject())
                {
                    Walk(member.Value, valueInfo, $"{path}[\"{member.Name}\"]", errors);
                }
                break;
            case JsonTypeInfoKind.Enumerable when element.ValueKind == JsonValueKind.Array && typeInfo.ElementType is { } itemType:
                var itemInfo = typeInfo.Options.GetTypeInfo(itemType);
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, itemInfo, $"{path}[{index++}]", errors);
                }
                break;
        }
    }

    private static string Describe(JsonTypeInfo typeInfo, string path) =>
        path.Length == 0 ? $"a {typeInfo.Type.Name}" : $"'{path}'";
}
