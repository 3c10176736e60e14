using Dflare.Core.Resources;
using Dflare.Persistence.Store;
using Dflare.Persistence.Tenancy;

namespace Dflare.Core.Tenancy;

/// <summary>Projects live inside a tenant: the tenant row is their scope.</summary>
public sealed class ProjectKind : IResourceKind<Project, ProjectRow, TenantRow>
{
    public string Kind => Project.KindName;

    public string DependentsExplanation => "other objects still belong to it";

    public IReadOnlyList<string> ReferenceFields => [];

    public IQueryable<ProjectRow> Query(DflareDbContext db, TenantRow scope) => db.Projects.Where(p => p.TenantId == scope.Id);

    public void Validate(Validation validation, Project resource, TenantRow scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        if (resource.Metadata?.Tenant is { } tenant && tenant != scope.Name)
        {
            validation.Add("metadata.tenant", FieldErrorCodes.Mismatch, $"metadata.tenant '{tenant}' differs from the tenant in the path, '{scope.Name}'.");
        }
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        validation.Text("spec.displayName", resource.Spec!.DisplayName, 128);
        validation.Text("spec.description", resource.Spec.Description, 1024);
    }

    public ProjectRow NewRow(Project resource, TenantRow scope, DateTimeOffset now)
    {
        var row = new ProjectRow { Id = Guid.CreateVersion7(now), TenantId = scope.Id, Name = resource.Metadata!.Name!, CreatedAt = now };
        Apply(row, resource);
        return row;
    }

    public void Apply(ProjectRow row, Project resource)
    {
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        row.DisplayName = resource.Spec!.DisplayName;
        row.Description = resource.Spec.Description;
    }

    public Project ToResource(ProjectRow row, TenantRow scope) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row, scope.Name),
        Spec = new ProjectSpec { DisplayName = row.DisplayName, Description = row.Description },
        Status = new ProjectStatus { Phase = "Active" },
    };
}
