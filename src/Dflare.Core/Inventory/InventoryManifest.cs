using Dflare.Core.Provisioning.Images;
using Dflare.Core.Resources;
using Dflare.Core.Secrets;
using Dflare.Core.Tenancy;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Inventory;

/// <summary>
/// An expected-machines list: the sites, racks, SKUs, images and nodes an operator (or the simulated datacenter)
/// enrols in one go. Applied all or nothing; objects that already exist by name are left as they are.
/// </summary>
public sealed record InventoryManifest
{
    public const string KindName = "InventoryManifest";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public IReadOnlyList<Site> Sites { get; init; } = [];

    public IReadOnlyList<Rack> Racks { get; init; } = [];

    public IReadOnlyList<Sku> Skus { get; init; } = [];

    public IReadOnlyList<GoldenImage> Images { get; init; } = [];

    public IReadOnlyList<Node> Nodes { get; init; } = [];
}

/// <summary>What applying a manifest did, by kind: names created, names that already existed.</summary>
public sealed record ManifestResult(IReadOnlyDictionary<string, IReadOnlyList<string>> Created, IReadOnlyDictionary<string, IReadOnlyList<string>> Existing);

public static class InventoryManifests
{
    public const int MaxObjects = 20_000;

    /// <summary>Field errors with paths such as <c>nodes[3].spec.bmc.address</c>; empty when the manifest can be applied.</summary>
    public static async Task<IReadOnlyList<FieldError>> ValidateAsync(DflareDbContext db, InventoryManifest manifest, Func<SecretProtector> secrets, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        if (manifest.ApiVersion is not null && manifest.ApiVersion != ApiVersions.V1)
        {
            validation.Add("apiVersion", FieldErrorCodes.InvalidValue, $"apiVersion must be '{ApiVersions.V1}'.");
        }
        if (manifest.Kind is not null && manifest.Kind != InventoryManifest.KindName)
        {
            validation.Add("kind", FieldErrorCodes.InvalidValue, $"kind must be '{InventoryManifest.KindName}'.");
        }
        var total = manifest.Sites.Count + manifest.Racks.Count + manifest.Skus.Count + manifest.Images.Count + manifest.Nodes.Count;
        if (total > MaxObjects)
        {
            validation.Add("nodes", FieldErrorCodes.TooMany, $"A manifest holds at most {MaxObjects} objects; this one has {total}. Split it.");
            return validation.Errors;
        }
        var platform = new PlatformScope();
        Each(validation, "sites", manifest.Sites, (v, r) => new SiteKind().Validate(v, r, platform, creating: true));
        Each(validation, "racks", manifest.Racks, (v, r) => new RackKind().Validate(v, r, platform, creating: true));
        Each(validation, "skus", manifest.Skus, (v, r) => new SkuKind().Validate(v, r, platform, creating: true));
        Each(validation, "images", manifest.Images, (v, r) => new GoldenImageKind().Validate(v, r, platform, creating: true));
        Each(validation, "nodes", manifest.Nodes, (v, r) => new NodeKind(secrets).Validate(v, r, platform, creating: true));
        if (!validation.IsValid)
        {
            return validation.Errors;
        }
        // References may point into the manifest or at what the store already holds.
        var sites = await Known(db.Sites.Select(s => s.Name), manifest.Sites, cancellationToken);
        var racks = await Known(db.Racks.Select(r => r.Name), manifest.Racks, cancellationToken);
        var skus = await Known(db.Skus.Select(s => s.Name), manifest.Skus, cancellationToken);
        var images = await Known(db.Images.Select(i => i.Name), manifest.Images, cancellationToken);
        Reference(validation, "racks", manifest.Racks, "spec.site", r => r.Spec!.Site, sites);
        Reference(validation, "nodes", manifest.Nodes, "spec.rack", n => n.Spec!.Rack, racks);
        Reference(validation, "nodes", manifest.Nodes, "spec.sku", n => n.Spec!.Sku, skus);
        Reference(validation, "nodes", manifest.Nodes, "spec.image", n => n.Spec!.Image, images);
        var addresses = await db.Nodes.Select(n => n.BmcAddress).ToListAsync(cancellationToken);
        var names = await db.Nodes.Select(n => n.Name).ToListAsync(cancellationToken);
        var taken = addresses.ToHashSet(StringComparer.Ordinal);
        var existingNames = names.ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < manifest.Nodes.Count; i++)
        {
            var node = manifest.Nodes[i];
            if (!existingNames.Contains(node.Metadata!.Name!) && !taken.Add(node.Spec!.Bmc!.Address!))
            {
                validation.Add($"nodes[{i}].spec.bmc.address", FieldErrorCodes.InvalidValue, $"BMC address '{node.Spec.Bmc.Address}' belongs to another node; a BMC serves one node.");
            }
        }
        return validation.Errors;
    }

    /// <summary>Creates what does not exist yet, in one transaction. Call <see cref="ValidateAsync"/> first.</summary>
    public static async Task<ManifestResult> ApplyAsync(DflareDbContext db, InventoryManifest manifest, Func<SecretProtector> secrets, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var created = new Dictionary<string, IReadOnlyList<string>>();
        var existing = new Dictionary<string, IReadOnlyList<string>>();
        await Add(db, new SiteKind(), db.Sites.Select(s => s.Name), manifest.Sites, now, created, existing, cancellationToken);
        await Add(db, new RackKind(), db.Racks.Select(s => s.Name), manifest.Racks, now, created, existing, cancellationToken);
        await Add(db, new SkuKind(), db.Skus.Select(s => s.Name), manifest.Skus, now, created, existing, cancellationToken);
        await Add(db, new GoldenImageKind(), db.Images.Select(s => s.Name), manifest.Images, now, created, existing, cancellationToken);
        await Add(db, new NodeKind(secrets), db.Nodes.Select(s => s.Name), manifest.Nodes, now, created, existing, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return new ManifestResult(created, existing);
    }

    private static async Task Add<TResource, TRow>(
        DflareDbContext db, IResourceKind<TResource, TRow, PlatformScope> kind, IQueryable<string> stored, IReadOnlyList<TResource> resources, DateTimeOffset now,
        Dictionary<string, IReadOnlyList<string>> created, Dictionary<string, IReadOnlyList<string>> existing, CancellationToken cancellationToken)
        where TResource : class, IResource
        where TRow : class, IVersionedRow
    {
        var names = (await stored.ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var added = new List<string>();
        var kept = new List<string>();
        foreach (var resource in resources)
        {
            if (names.Contains(resource.Metadata!.Name!))
            {
                kept.Add(resource.Metadata.Name!);
                continue;
            }
            var row = kind.NewRow(resource, new PlatformScope(), Envelope.Timestamp(now));
            row.ResourceVersion = 1;
            row.UpdatedAt = Envelope.Timestamp(now);
            db.Add(row);
            added.Add(resource.Metadata.Name!);
        }
        created[kind.Kind] = added;
        existing[kind.Kind] = kept;
    }

    private static void Each<T>(Validation validation, string list, IReadOnlyList<T> items, Action<Validation, T> validate) where T : IResource
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var one = new Validation();
            if (items[i] is null)
            {
                validation.Add($"{list}[{i}]", FieldErrorCodes.Required, $"{list}[{i}] is null.");
                continue;
            }
            validate(one, items[i]);
            foreach (var error in one.Errors)
            {
                validation.Add($"{list}[{i}].{error.Field}", error.Code, $"{list}[{i}]: {error.Message}");
            }
            if (items[i].Metadata?.Name is { } name && !seen.Add(name))
            {
                validation.Add($"{list}[{i}].metadata.name", FieldErrorCodes.InvalidValue, $"{list}[{i}]: '{name}' appears more than once in {list}.");
            }
        }
    }

    private static async Task<HashSet<string>> Known<T>(IQueryable<string> stored, IReadOnlyList<T> inManifest, CancellationToken cancellationToken) where T : IResource
    {
        var names = (await stored.ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        names.UnionWith(inManifest.Select(r => r.Metadata!.Name!));
        return names;
    }

    private static void Reference<T>(Validation validation, string list, IReadOnlyList<T> items, string field, Func<T, string?> value, HashSet<string> known)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (value(items[i]) is { } name && !known.Contains(name))
            {
                validation.Add($"{list}[{i}].{field}", FieldErrorCodes.UnknownReference, $"{list}[{i}]: {field} '{name}' is neither in the manifest nor in the inventory.");
            }
        }
    }
}
