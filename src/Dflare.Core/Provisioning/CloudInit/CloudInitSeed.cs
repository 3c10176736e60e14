using System.Text;
using System.Text.Json;
using Dflare.Agent.Protocol;

namespace Dflare.Core.Provisioning.CloudInit;

/// <summary>The three documents of a cloud-init NoCloud seed, as the node fetches them after PXE.</summary>
public sealed record CloudInitSeed(string UserData, string MetaData, string NetworkConfig);

/// <summary>What a node's seed is made of.</summary>
public sealed record SeedInput(string Node, Guid RunId, string ImageName, string ImageUrl, string ImageSha256, Uri PhoneHome, AgentConfig Agent);

/// <summary>
/// Renders real cloud-init: <c>#cloud-config</c> user-data (hostname, the control plane's CA in the trust store, the
/// agent's configuration with its one-time token, the agent started), NoCloud meta-data (instance id, hostname, the
/// image the deploy stage writes) and network-config version 2 for both fabrics. Strings are written as JSON strings,
/// which YAML reads as double-quoted scalars, so no value can break the document.
/// </summary>
public static class CloudInitRenderer
{
    public const string AgentConfigPath = "/etc/dflare/agent.json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static CloudInitSeed Render(SeedInput input) => new(UserData(input), MetaData(input), NetworkConfig());

    private static string UserData(SeedInput input)
    {
        var agentJson = JsonSerializer.Serialize(input.Agent with { StateDirectory = "/var/lib/dflare-agent" }, Json);
        var yaml = new StringBuilder();
        yaml.Append("#cloud-config\n");
        yaml.Append($"hostname: {Quote(input.Node)}\n");
        yaml.Append("preserve_hostname: false\n");
        yaml.Append("manage_etc_hosts: true\n");
        yaml.Append("ca_certs:\n  trusted:\n    - |\n");
        foreach (var line in input.Agent.CaCertificate.Trim().Split('\n'))
        {
            yaml.Append("      ").Append(line.TrimEnd('\r')).Append('\n');
        }
        yaml.Append("write_files:\n");
        yaml.Append($"  - path: {Quote(AgentConfigPath)}\n");
        yaml.Append("    owner: \"root:root\"\n");
        yaml.Append("    permissions: \"0600\"\n");
        yaml.Append("    encoding: b64\n");
        yaml.Append($"    content: {Quote(Convert.ToBase64String(Encoding.UTF8.GetBytes(agentJson)))}\n");
        yaml.Append("runcmd:\n");
        yaml.Append("  - [\"systemctl\", \"enable\", \"--now\", \"dflare-agent.service\"]\n");
        // The last thing cloud-init does: tell the control plane it finished (the configure step waits for this).
        yaml.Append("phone_home:\n");
        yaml.Append($"  url: {Quote(input.PhoneHome.ToString())}\n");
        yaml.Append("  post: [\"instance_id\", \"hostname\"]\n");
        yaml.Append("  tries: 10\n");
        return yaml.ToString();
    }

    private static string MetaData(SeedInput input) =>
        $"instance-id: {Quote(input.RunId.ToString("N"))}\n" +
        $"local-hostname: {Quote(input.Node)}\n" +
        $"dflare-image: {Quote(input.ImageName)}\n" +
        $"dflare-image-url: {Quote(input.ImageUrl)}\n" +
        $"dflare-image-sha256: {Quote(input.ImageSha256)}\n";

    /// <summary>Both fabrics by DHCP until the network manager (issue 6) hands out addresses: the Ethernet fabric on
    /// the first <c>en*</c> port with jumbo frames, IP over InfiniBand where an HCA is present.</summary>
    private static string NetworkConfig() =>
        """
        network:
          version: 2
          ethernets:
            fabric0:
              match:
                name: "en*"
              dhcp4: true
              mtu: 9000
            ib0:
              match:
                name: "ib*"
              dhcp4: true
              optional: true

        """;

    private static string Quote(string value) => JsonSerializer.Serialize(value);

    /// <summary>Reads back the agent configuration a rendered user-data carries (the simulated node's cloud-init).</summary>
    public static AgentConfig? ReadAgentConfig(string userData)
    {
        var lines = userData.Split('\n');
        var at = Array.FindIndex(lines, l => l.Trim() == $"- path: {Quote(AgentConfigPath)}");
        var content = at < 0 ? null : lines.Skip(at + 1).TakeWhile(l => !l.TrimStart().StartsWith('-')).FirstOrDefault(l => l.TrimStart().StartsWith("content:", StringComparison.Ordinal));
        if (content is null)
        {
            return null;
        }
        var base64 = JsonSerializer.Deserialize<string>(content[(content.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())!;
        return JsonSerializer.Deserialize<AgentConfig>(Convert.FromBase64String(base64), Json);
    }
}
