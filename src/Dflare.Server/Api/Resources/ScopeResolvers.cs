using Dflare.Core.Tenancy;
using Microsoft.AspNetCore.Http;

namespace Dflare.Server.Api.Resources;

public static class ScopeResolvers
{
    /// <summary>For operator-managed, platform-wide kinds (tenants, sites, racks, SKUs): there is one platform.</summary>
    public static readonly ScopeResolver<PlatformScope> Platform =
        static (_, _, _) => Task.FromResult<(PlatformScope?, IResult?)>((PlatformScope.Instance, null));
}
