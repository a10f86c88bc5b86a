"""An application stack's pre-deploy refusals and the platform's `ciSubject` rule (review15
1.4 and 1.5): what the single stack refuses before it registers anything, an application
stack refuses too, by the same code (`infra.running_stack`: `vault_check`, `lock_problems`); and an
onboarded application's `ciSubject` is the subject GitHub sends for its deploy job."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from infra.config import PlatformConfig
from infra.config_loader import platform_config_from_values
from infra.config_rules import ci_subject, ci_subject_advisories
from infra.preview.engine import ProgramFailed, run_offline
from infra.problems import InvalidInput
from infra.program import build
from infra.services.vault_references import VaultReference
from infra.stacks.examples import example_stack


def _refused(stack: str) -> str:
    with pytest.raises(ProgramFailed) as raised:
        run_offline(example_stack(stack), build)
    assert raised.value.run.resources == [], "something was registered before the refusal"
    cause = raised.value.__cause__
    assert isinstance(cause, InvalidInput), cause
    return str(cause)


def test_a_real_deploy_of_an_application_stack_refuses_the_placeholder_lock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Was: the application registered everything, then its pods sat in ImagePullBackOff and
    its Container Apps revisions never started (placeholder digests pull nothing)."""
    monkeypatch.setattr("infra.running_stack.real_deploy", lambda: True)
    monkeypatch.setattr("infra.running_stack.is_placeholder", lambda: True)
    text = _refused("storefront-dev")
    assert "the application stack (nothing was registered)" in text
    assert "images.lock.yaml" in text
    assert "image_lock resolve" in text


def test_a_preview_of_an_application_stack_may_use_the_placeholder_lock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("infra.running_stack.real_deploy", lambda: False)
    monkeypatch.setattr("infra.running_stack.is_placeholder", lambda: True)
    assert run_offline(example_stack("storefront-dev"), build).resources


def _asking(exists: Callable[[VaultReference], bool], asked: list[VaultReference]) -> Any:
    def check(reference: VaultReference) -> bool:
        asked.append(reference)
        return exists(reference)

    return lambda: check


def test_an_application_stack_refuses_a_secret_that_is_not_seeded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Was: no preflight in an application stack; a Container App with a missing Key Vault
    secret fails to provision mid-update. Each of its platform-vault secrets is asked (its
    identity is Key Vault Secrets Officer on each), every missing one named with its command."""
    asked: list[VaultReference] = []
    monkeypatch.setattr(
        "infra.running_stack.vault_check",
        _asking(lambda r: r.name != "payment-provider-key", asked),
    )
    text = _refused("storefront-dev")
    assert "the preflight" in text
    assert "secret kv-shop-dev/payment-provider-key: missing, read by" in text
    assert "az keyvault secret set --vault-name kv-shop-dev --name payment-provider-key" in text
    assert "catalog-db-password: missing" not in text
    assert {r.name for r in asked} == {
        "catalog-db-password",
        "identity-signing-key",
        "ordering-db-password",
        "payment-provider-key",
    }, "only the secrets the platform grants it, each once"


def test_an_application_stack_with_every_secret_seeded_deploys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[VaultReference] = []
    monkeypatch.setattr("infra.running_stack.vault_check", _asking(lambda r: True, asked))
    assert run_offline(example_stack("storefront-dev"), build).resources
    assert asked


def _platform(environment: str, **edit: Any) -> PlatformConfig:
    stack = example_stack(f"platform-{environment}")
    values = {k.split(":", 1)[1]: v for k, v in stack.values.items() if k.startswith("platform:")}
    if edit:
        applications = json.loads(values["applications"])
        applications[0].update(edit)
        values["applications"] = json.dumps(applications)
    return platform_config_from_values(values)


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_the_reference_ci_subjects_are_what_github_sends(environment: str) -> None:
    """Was `repo:example-org/storefront:environment:dev`: the job runs in this repository's
    environment `storefront-dev`, so Entra ID refused the login (AADSTS700213)."""
    config = _platform(environment)
    assert ci_subject(config) == []
    assert {a.ci_subject for a in config.applications} == {
        f"repo:example-org/platform:environment:{app}-{environment}"
        for app in ("storefront", "loyalty")
    }


def test_a_ci_subject_in_another_environment_is_refused_naming_the_expected_one() -> None:
    with pytest.raises(InvalidInput) as raised:
        _platform("dev", ciSubject="repo:example-org/storefront:environment:dev")
    problem = next(p for p in raised.value.problems if p.path.endswith("ciSubject"))
    assert problem.path == "platform:applications[0].ciSubject"
    assert "environment storefront-dev" in problem.problem
    assert problem.fix == "set it to repo:example-org/storefront:environment:storefront-dev"
    with pytest.raises(InvalidInput) as raised:
        _platform("dev", ciSubject="repo:example-org/platform:ref:refs/heads/main")
    assert any(
        p.fix == "set it to repo:<owner>/<repo>:environment:storefront-dev"
        for p in raised.value.problems
    )


def test_another_issuer_is_not_checked_as_github() -> None:
    config = _platform(
        "dev",
        ciIssuer="https://gitlab.example.com",
        ciSubject="project_path:x",
        previewSubject="project_path:x:preview",
    )
    assert ci_subject(config) == []


def test_a_ci_subject_naming_another_repository_is_warned_where_the_repository_is_known() -> None:
    config = _platform("dev")
    assert ci_subject_advisories(config, None) == []
    assert ci_subject_advisories(config, "Example-Org/Platform") == []
    found = ci_subject_advisories(config, "contoso/shop")
    assert [p.fix for p in found] == [
        "set it to repo:contoso/shop:environment:storefront-dev",
        "set it to repo:contoso/shop:environment:loyalty-dev",
    ]


def test_a_certificate_the_application_cannot_read_is_left_unchecked_not_called_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Prod's custom-domain certificate is in the platform vault, where the application has no
    read on it: asking would fail as "missing" whether it exists or not."""
    asked: list[VaultReference] = []
    monkeypatch.setattr("infra.running_stack.vault_check", _asking(lambda r: False, asked))
    text = _refused("storefront-prod")
    assert "secret kv-shop-prod/payment-provider-key: missing" in text
    assert "certificate " not in text
    assert {r.kind.value for r in asked} == {"secret"}
