"""Azure's and AKS's deploy-time rules, one registered function each (see registry.py).

Importing this package registers them all."""

from infra.simulate.rules import (  # noqa: F401 - imported for their @rule registrations
    charts,
    cluster,
    custom_roles,
    deploy_identity,
    domains,
    engine,
    gateway,
    held,
    identity,
    images,
    keyvault,
    onboarding,
    probes,
    revision_history,
    revisions,
    runner_network,
    safeguards,
    scalers,
    stateful,
)
