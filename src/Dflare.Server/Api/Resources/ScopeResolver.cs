using Dflare.Persistence.Store;
using Microsoft.AspNetCore.Http;

namespace Dflare.Server.Api.Resources;

/// <summary>Finds what owns the objects at a path (the tenant of <c>/tenants/{tenant}/projects</c>), or the 404.</summary>
public delegate Task<(TScope? Scope, IResult? Problem)> ScopeResolver<TScope>(HttpContext http, DflareDbContext db, CancellationToken cancellationToken);
