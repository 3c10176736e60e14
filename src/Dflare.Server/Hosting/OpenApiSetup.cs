using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Dflare.Server.Hosting;

/// <summary>The OpenAPI 3 document at <c>/openapi/v1.json</c> and a browsable reference at <c>/api/reference</c>,
/// both served by the server itself (no CDN: operators run Dflare in closed networks).</summary>
internal static class OpenApiSetup
{
    public const string DocumentPath = "/openapi/{documentName}.json";
    public const string ReferencePath = "/api/reference";
    private const string BearerScheme = "bearer";

    public static IServiceCollection AddDflareOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Dflare API";
            document.Info.Version = "v1";
            document.Info.Description =
                "The control plane of a bare-metal GPU cloud. Resources are Kubernetes-shaped; errors are RFC 9457 problem " +
                "documents with a stable `code`; lists page with `limit` and `continue`; updates take `If-Match`; creates take " +
                "`Idempotency-Key`. Authenticate with `Authorization: Bearer <credential>`.";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The admin credential printed on first start (identity realms and tokens come later).",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
            return Task.CompletedTask;
        }));

    public static void MapDflareOpenApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapOpenApi(DocumentPath).AllowAnonymous();
        endpoints.MapScalarApiReference(ReferencePath, options => options
                .WithTitle("Dflare API reference")
                .WithOpenApiRoutePattern(DocumentPath))
            .AllowAnonymous();
    }
}
