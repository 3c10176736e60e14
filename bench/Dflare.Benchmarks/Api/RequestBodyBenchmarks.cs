using System.Text;
using BenchmarkDotNet.Attributes;
using Dflare.Core.Resources;
using Dflare.Core.Tenancy;
using Dflare.Persistence.Tenancy;
using Dflare.Server.Api.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Benchmarks.Api;

/// <summary>
/// The strict body pipeline every write pays: parse, unknown-field walk, deserialize, validate. Budget (docs/benchmarks.md):
/// under 20 µs and 16 KB allocated for a typical tenant body.
/// </summary>
[MemoryDiagnoser]
public class RequestBodyBenchmarks
{
    private static readonly byte[] TenantBody = Encoding.UTF8.GetBytes(
        """{"apiVersion":"dflare.ai/v1","kind":"Tenant","metadata":{"name":"acme","labels":{"team":"llm","cost-center":"r-42"}},"spec":{"displayName":"Acme Research","description":"Training and inference","contactEmail":"ops@acme.example"}}""");

    private IServiceProvider _services = null!;
    private readonly TenantKind _kind = new();

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.Configure<JsonOptions>(o => ApiJson.Configure(o.SerializerOptions));
        _services = services.BuildServiceProvider();
    }

    [Benchmark]
    public async Task<bool> ReadAndValidateTenant()
    {
        var http = new DefaultHttpContext { RequestServices = _services };
        http.Request.ContentType = "application/json";
        http.Request.Body = new MemoryStream(TenantBody, writable: false);
        var body = await RequestBodies.ReadAsync<Tenant>(http, CancellationToken.None);
        var validation = new Validation();
        _kind.Validate(validation, body.Value!, PlatformScope.Instance, creating: true);
        return validation.IsValid;
    }

    [Benchmark]
    public Tenant MapRowToResource() => _kind.ToResource(Row, PlatformScope.Instance);

    private static readonly TenantRow Row = new()
    {
        Id = Guid.CreateVersion7(),
        Name = "acme",
        DisplayName = "Acme Research",
        Labels = """{"cost-center":"r-42","team":"llm"}""",
        CreatedAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
        ResourceVersion = 3,
    };
}
