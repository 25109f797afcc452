using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Proxy.Configuration;

/// <summary>Reads <c>"Ports": [443, "9000-9010"]</c>: numbers and strings alike, as configuration binding does.</summary>
public sealed class PortListJsonConverter : JsonConverter<IReadOnlyList<string>>
{
    public override IReadOnlyList<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("Ports must be an array of port numbers or ranges such as \"9000-9010\".");
        }

        var ports = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            ports.Add(reader.TokenType switch
            {
                JsonTokenType.Number when reader.TryGetInt32(out var port) => port.ToString(CultureInfo.InvariantCulture),
                JsonTokenType.String => reader.GetString()!,
                _ => throw new JsonException("A port must be a number or a string such as \"9000-9010\"."),
            });
        }

        return ports;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartArray();
        foreach (var port in value)
        {
            if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                writer.WriteNumberValue(number);
            }
            else
            {
                writer.WriteStringValue(port);
            }
        }

        writer.WriteEndArray();
    }
}
