"""The deploy simulator on team stacks (docs/team-stacks.md, docs/simulator.md): the platform
stack's first deploy, and an application stack deployed on the platform it names."""

from __future__ import annotations

import pytest

from infra.simulate.scenario import platform_of, simulate

pytestmark = pytest.mark.slow  # each simulation plans two to four stacks


def test_an_application_stack_names_its_platform_and_others_none() -> None:
    assert platform_of("storefront-dev") == "platform-dev"
    assert platform_of("platform-dev") is None
    assert platform_of("dev") is None


@pytest.mark.parametrize("stack", ["platform-dev", "platform-prod"])
def test_the_platform_stack_first_deploy_is_accepted(stack: str) -> None:
    """Its first step (deployServices: false) leaves the shared ingress's charts out: they go
    through the provider of the cluster that step creates (helm-chart-unknown-cluster refused
    them there before)."""
    simulation = simulate(stack)
    assert simulation.ok, simulation.first_refusal
    foundation = simulation.phases[0].name
    assert "foundation only" in foundation


def test_an_application_stack_deploys_on_its_platform_and_not_alone() -> None:
    simulation = simulate("storefront-dev")
    assert simulation.ok, simulation.first_refusal
    names = [phase.name for phase in simulation.phases]
    assert names[0].startswith("platform platform-dev: first deploy: foundation only")
    assert "application: first deploy" in names
    # Without the platform (no cluster, namespace, gateway), Azure and AKS refuse it.
    assert simulation.single_shot is not None
    assert simulation.single_shot.refusals
    rules = {r.rule for r in simulation.single_shot.refusals}
    assert "chart-namespace-missing" in rules or "aks-rbac-cluster-admin" in rules, rules


def test_a_container_app_binds_its_custom_domain_on_the_records_its_platform_writes() -> None:
    """prod's web binds shop.example.com, in `platform:dns`'s zone: Container Apps binds it only
    once TXT asuid.<host> and its CNAME exist (`aca-custom-domain-records`). The application's
    identity cannot write the zone, so its stack counts the records as present and the platform
    stack writes them (as a single stack does under the service), and the environment's
    certificate of the host, which the app binds by id (`aca-custom-domain-certificate`):
    deployed on its platform the application is accepted; alone, both rules refuse the
    binding."""
    simulation = simulate("storefront-prod")
    assert simulation.ok, simulation.first_refusal
    assert simulation.single_shot is not None
    refused = {r.rule for r in simulation.single_shot.refusals}
    assert {"aca-custom-domain-records", "aca-custom-domain-certificate"} <= refused
