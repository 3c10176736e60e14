namespace Dflare.Simulation;

/// <summary>Faults the simulated datacenter can inject into a node (the topology file, or a test, names them).</summary>
public enum NodeFault
{
    /// <summary>The BMC accepts connections and never answers.</summary>
    BmcTimeout,

    /// <summary>The BMC's password is not the one enrolled.</summary>
    WrongCredentials,

    /// <summary>The node gets no DHCP offer on PXE: it never fetches anything.</summary>
    PxeFailure,

    /// <summary>The image the node downloads does not match the catalog's checksum.</summary>
    ImageChecksumMismatch,

    /// <summary>cloud-init finishes but the agent never starts.</summary>
    AgentNeverRegisters,

    /// <summary>One GPU fell off the bus: the BMC and the agent see one fewer.</summary>
    GpuMissing,
}
