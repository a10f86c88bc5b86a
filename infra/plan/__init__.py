"""One reader of a recorded plan: what the preview, cost, the deploy simulator and the offline
policy know about the resources in a snapshot, each fact written once.

- `kinds`: the resource kinds (type tokens);
- `paths`: the value at a path of a resource's inputs;
- `workloads`: the pod spec, containers and images of every workload kind, on both targets;
- `owners`: the service and application a resource belongs to;
- `quantities`: CPU and memory quantities as numbers.

It imports nothing from the tools that read through it (infra/preview, infra/cost,
infra/simulate, infra/policy), and nothing from Pulumi: the CrossGuard pack runs it too.
"""
