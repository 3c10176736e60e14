using System.Runtime.InteropServices;
using System.Text;
using Dflare.Agent.Protocol;

namespace Dflare.Agent.Gpus;

/// <summary>
/// GPUs through NVIDIA's management library, loaded at run time from <c>libnvidia-ml.so.1</c> (present wherever the
/// driver is). <see cref="TryCreate"/> answers null where it is not, so the agent falls back to the simulator.
/// Uses the v2 entry points of nvml.h; names and serials come back as NUL-terminated ASCII.
/// </summary>
public sealed partial class NvmlGpuSource : IGpuSource
{
    private const int Success = 0;
    private const int TemperatureGpu = 0;
    private const int MemoryErrorUncorrected = 1;
    private const int VolatileEcc = 0;

    private NvmlGpuSource()
    {
    }

    public string Name => "nvml";

    public static NvmlGpuSource? TryCreate()
    {
        if (!NativeLibrary.TryLoad("libnvidia-ml.so.1", out var handle))
        {
            return null;
        }
        NativeLibrary.Free(handle);
        return nvmlInit_v2() == Success ? new NvmlGpuSource() : null;
    }

    public IReadOnlyList<GpuInfo> Inventory()
    {
        var gpus = new List<GpuInfo>();
        foreach (var (index, device) in Devices())
        {
            gpus.Add(new GpuInfo(index, Text((b, n) => nvmlDeviceGetName(device, b, n)), Text((b, n) => nvmlDeviceGetSerial(device, b, n)), Text((b, n) => nvmlDeviceGetUUID(device, b, n))));
        }
        return gpus;
    }

    public IReadOnlyList<GpuHealth> Health()
    {
        var health = new List<GpuHealth>();
        foreach (var (index, device) in Devices())
        {
            _ = nvmlDeviceGetTemperature(device, TemperatureGpu, out var temperature);
            // Not every GPU has ECC; an error code leaves the count at zero.
            _ = nvmlDeviceGetTotalEccErrors(device, MemoryErrorUncorrected, VolatileEcc, out var ecc);
            // XID errors arrive as NVML events; collecting them needs an event set, which is not built yet (docs/provisioning.md).
            health.Add(new GpuHealth(index, (int)temperature, (long)ecc, []));
        }
        return health;
    }

    private static IEnumerable<(int Index, IntPtr Device)> Devices()
    {
        if (nvmlDeviceGetCount_v2(out var count) != Success)
        {
            yield break;
        }
        for (var i = 0u; i < count; i++)
        {
            if (nvmlDeviceGetHandleByIndex_v2(i, out var device) == Success)
            {
                yield return ((int)i, device);
            }
        }
    }

    private static string Text(Func<byte[], uint, int> read)
    {
        var buffer = new byte[96];
        return read(buffer, (uint)buffer.Length) == Success ? Encoding.ASCII.GetString(buffer).TrimEnd('\0') : "";
    }

    [LibraryImport("libnvidia-ml.so.1")]
    private static partial int nvmlInit_v2();

    [LibraryImport("libnvidia-ml.so.1")]
    private static partial int nvmlDeviceGetCount_v2(out uint count);

    [LibraryImport("libnvidia-ml.so.1")]
    private static partial int nvmlDeviceGetHandleByIndex_v2(uint index, out IntPtr device);

    [LibraryImport("libnvidia-ml.so.1")]
    private static partial int nvmlDeviceGetName(IntPtr device, [Out] byte[] name, uint length);

    [LibraryImport("libnvidia-ml.so.1")]
    private static partial int nvmlDeviceGetSerial(IntPtr device, [Out] byte[] serial, uint length);

    [LibraryImport("libnvidia-ml.so.1")]
    private static partial int nvmlDeviceGetUUID(IntPtr device, [Out] byte[] uuid, uint length);

    [LibraryImport("libnvidia-ml.so.1")]
    private static partial int nvmlDeviceGetTemperature(IntPtr device, int sensor, out uint temperature);

    [LibraryImport("libnvidia-ml.so.1")]
    private static partial int nvmlDeviceGetTotalEccErrors(IntPtr device, int errorType, int counterType, out ulong count);
}
