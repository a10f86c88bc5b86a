"""Validation and policy agree on resources (issue 22): what the `resources` rule accepts, the
mandatory policy passes in dev and prod, and the floor its fix suggests is itself accepted.

Before this, validation accepted 2m CPU / 16Mi (and suggested "at least 64Mi") while policy
`k8s-resources` refuses anything below Deployment Safeguards' 100m / 100Mi, and prod policy
`k8s-prod-memory-request-equals-limit` refused a memory request validation had accepted.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from infra.config import Environment
from infra.constants import MIN_CPU_MILLICORES, MIN_MEMORY_MIB
from infra.policy.evaluate import evaluate
from infra.policy.rules import PolicyContext, PolicyResource
from infra.problems import InvalidInput
from infra.services.render.aks import ServiceSecrets, render_on_aks
from infra.services.rules.resources import CPU_FIX, MEMORY_FIX, MIN_CPU_CORES
from infra.services.spec import (
    Application,
    Port,
    Probes,
    Resources,
    ServiceSpec,
    Target,
    TcpProbe,
)
from infra.services.validation import validate_applications
from tests.fixtures import NO_EXTENSIONS, context, facts

DIGEST = "sha256:" + "c" * 64
ENVIRONMENTS = (Environment.DEV, Environment.PROD)


def _spec(resources: Resources) -> ServiceSpec:
    return ServiceSpec(
        name="api",
        image=f"crshop.azurecr.io/team/api:1.0.0@{DIGEST}",
        target=Target.AKS,
        ports=(Port(name="http", number=8080),),
        resources=resources,
        probes=Probes(liveness=TcpProbe()),  # prod requires it (Deployment Safeguards)
    )


def _validated(resources: Resources, environment: Environment) -> list[str] | None:
    """The problems' paths, or None when validation accepts the declaration."""
    try:
        catalog = validate_applications(
            [Application(name="shop", source="apps/t.py", services=(_spec(resources),))],
            context(environment),
        )
    except InvalidInput as error:
        return [p.path for p in error.problems]
    assert catalog.services
    return None


def _violations(resources: Resources, environment: Environment) -> set[str]:
    """Mandatory violations of the rendered Deployment (and its other objects)."""
    catalog = validate_applications(
        [Application(name="shop", source="apps/t.py", services=(_spec(resources),))],
        context(environment),
    )
    objects = render_on_aks(
        catalog.get("api"),
        catalog=catalog,
        facts=facts(environment),
        extensions=NO_EXTENSIONS,
        client_id=None,
        secrets=ServiceSecrets(config_values={}),
    )
    policy = [PolicyResource(_token(o), o["metadata"]["name"], o) for o in objects]
    report = evaluate(policy, PolicyContext(environment.value))
    return {f"{v.rule.id}: {v.message}" for v in report.enforced}


def _token(obj: dict[str, object]) -> str:
    """The Pulumi type token of a rendered object (`v1` is the core group)."""
    api = str(obj["apiVersion"])
    return f"kubernetes:{api if '/' in api else 'core/' + api}:{obj['kind']}"


BASELINE = {env: _violations(Resources(), env) for env in ENVIRONMENTS}
"""What the same service violates with the default size: whatever the resources cannot fix."""


CPU = st.integers(min_value=1, max_value=4000).map(lambda m: m / 1000)
MEMORY = st.one_of(
    st.integers(min_value=1, max_value=8192).map(lambda n: f"{n}Mi"),
    st.sampled_from(["0.05Gi", "0.1Gi", "0.25Gi", "0.5Gi", "1Gi", "1.5Gi", "4Gi"]),
)
RESOURCES = st.builds(
    lambda cpu, memory, cpu_request, memory_request: Resources(
        cpu=cpu, memory=memory, cpu_request=cpu_request, memory_request=memory_request
    ),
    CPU,
    MEMORY,
    st.one_of(st.none(), CPU),
    st.one_of(st.none(), MEMORY),
)


@settings(max_examples=60, deadline=None)
@given(RESOURCES, st.sampled_from(ENVIRONMENTS))
def test_resources_validation_accepts_pass_every_mandatory_policy(
    resources: Resources, environment: Environment
) -> None:
    problems = _validated(resources, environment)
    if problems is not None:
        assert all(p.startswith("resources") for p in problems), problems
        return
    assert _violations(resources, environment) == BASELINE[environment]


def test_the_floor_the_fix_suggests_is_accepted_and_passes_policy() -> None:
    assert f"{MIN_CPU_MILLICORES}m" in CPU_FIX
    assert f"{MIN_MEMORY_MIB}Mi" in MEMORY_FIX
    floor = Resources(cpu=MIN_CPU_CORES, memory=f"{MIN_MEMORY_MIB}Mi")
    for environment in ENVIRONMENTS:
        assert _validated(floor, environment) is None
        assert _violations(floor, environment) == BASELINE[environment]


def test_below_the_floor_is_refused_by_validation_with_the_policys_bound() -> None:
    """Fails on the old rule, which accepted these and suggested 64Mi."""
    tiny = Resources(cpu=0.002, memory="16Mi", cpu_request=0.002, memory_request="16Mi")
    with_problems = _validated(tiny, Environment.DEV)
    assert with_problems is not None
    assert sorted(with_problems) == [
        "resources.cpu",
        "resources.cpu_request",
        "resources.memory",
        "resources.memory_request",
    ]


def test_prod_refuses_a_memory_request_below_the_limit_as_its_policy_does() -> None:
    burstable = Resources(cpu=0.5, memory="1Gi", memory_request="512Mi")
    assert _validated(burstable, Environment.DEV) is None
    assert _validated(burstable, Environment.PROD) == ["resources.memory_request"]
