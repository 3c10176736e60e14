namespace Dflare.Core.Workflows;

/// <summary>The workflow definitions this process can run, by name and version.</summary>
public sealed class WorkflowRegistry
{
    private readonly Dictionary<(string, int), WorkflowDefinition> _definitions = [];

    public WorkflowRegistry(IEnumerable<WorkflowDefinition> definitions)
    {
        foreach (var definition in definitions)
        {
            Validate(definition);
            _definitions[(definition.Name, definition.Version)] = definition;
        }
    }

    public WorkflowDefinition? Find(string name, int version) => _definitions.GetValueOrDefault((name, version));

    /// <summary>The newest version of a workflow, used to start new runs.</summary>
    public WorkflowDefinition? Latest(string name) =>
        _definitions.Values.Where(d => d.Name == name).MaxBy(d => d.Version);

    private static void Validate(WorkflowDefinition definition)
    {
        if (definition.Steps.Count == 0)
        {
            throw new ArgumentException($"Workflow '{definition.Name}' has no steps.", nameof(definition));
        }
        var duplicate = definition.Steps.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Workflow '{definition.Name}' has two steps named '{duplicate.Key}'.", nameof(definition));
        }
        var bad = definition.Steps.FirstOrDefault(s => s.Retry.MaxAttempts < 1);
        if (bad is not null)
        {
            throw new ArgumentException($"Step '{bad.Name}' of '{definition.Name}' needs at least one attempt.", nameof(definition));
        }
    }
}
