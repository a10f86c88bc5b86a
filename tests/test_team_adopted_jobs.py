"""An application with a Container Apps job migrated from a single stack (docs/team-stacks.md,
Migration): the job (`azure-native:app:Job`) is adopted like its Container Apps and identities,
so it stays in the platform's resource group under the same id, nothing is replaced or deleted,
and its identity's `adopted` role on the job's id allows what Azure checks for it. The suite's
storefront (tests/apps) declares no job: these tests add one (and its identity, for the Key
Vault secret it reads) to the loaded applications, without editing the fixture."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

import infra.program
import infra.services.loader
import infra.stacks.application
import infra.stacks.program
from infra.constants import ADOPTABLE_TYPES, CONTAINER_APP_JOB_TYPE
from infra.preview.changes import Operation
from infra.services.spec import Application, JobSpec, KeyVaultSecret, Manual, Target
from infra.stacks.authorization import WRITE, refused, required, target_of
from infra.stacks.contract import CONTRACT_OUTPUT, parse_contract
from infra.stacks.migrate import Migration, plan_migration
from infra.stacks.permissions import within
from tests.test_team_migration import plan_held, plan_outside

PLATFORM = "rg-shop-dev"
JOB = "payment-reconcile"
JOB_TOKEN = "azure-native:app:Job"
_LOAD = infra.services.loader.load_applications


def _with_job(package: str | None = None) -> list[Application]:
    """The fixture applications, the storefront with a manual Container Apps job that reads a
    Key Vault secret (so it has an identity of its own)."""
    job = JobSpec(
        name=JOB,
        image="storefront/payment-api:1.9.2",
        target=Target.CONTAINER_APPS,
        trigger=Manual(),
        secrets={"PAYMENT_PROVIDER_KEY": KeyVaultSecret(name="payment-provider-key")},
    )
    return [
        dataclasses.replace(a, jobs=(*a.jobs, job)) if a.name == "storefront" else a
        for a in _LOAD(package)
    ]


@pytest.fixture(scope="module")
def migration() -> Iterator[Migration]:
    with pytest.MonkeyPatch.context() as patch:
        for module in (
            infra.services.loader,
            infra.program,
            infra.stacks.application,
            infra.stacks.program,
        ):
            patch.setattr(module, "load_applications", _with_job)
        yield plan_migration("dev", ["storefront"])


def _job(plan: dict[str, Any]) -> dict[str, Any]:
    (job,) = [r for r in plan["resources"] if r["type"] == JOB_TOKEN]
    return job


def test_the_fixture_has_a_container_apps_job_in_the_single_stack(
    migration: Migration,
) -> None:
    assert _job(migration.single_plan)["inputs"]["resourceGroupName"] == PLATFORM
    assert ADOPTABLE_TYPES[JOB_TOKEN] == CONTAINER_APP_JOB_TYPE


def test_a_migrated_job_is_adopted_and_nothing_is_replaced_or_deleted(
    migration: Migration,
) -> None:
    storefront = migration.application("storefront")
    assert migration.replaced == ()
    assert migration.problems == ()
    assert migration.in_several == ()
    assert migration.in_neither == ()
    # The job and its identity are among the adopted ids, in the platform's group.
    jobs = [a for a in storefront.adopted if f"/providers/{CONTAINER_APP_JOB_TYPE}/" in a]
    assert [a.rsplit("/", 1)[1] for a in jobs] == [JOB]
    assert {a.split("/")[4] for a in storefront.adopted} == {PLATFORM}
    assert any(a.rsplit("/", 1)[1].startswith(f"{JOB}-identity") for a in storefront.adopted)
    # The application stack keeps it there, by its id: moved, not changed at all.
    job = _job(storefront.plan)
    assert job["inputs"]["resourceGroupName"] == PLATFORM
    assert job["computed"][0]["value"].lower() in {a.lower() for a in storefront.adopted}
    assert any(urn.endswith(f"::{JOB}") for urn in storefront.moved)
    changes = storefront.diff.changes
    assert [(c.operation, c.type) for c in changes] == [
        (Operation.CREATE, "platform:stacks:PlatformContract")
    ]
    assert not [c for c in migration.platform_diff.changes if c.operation is Operation.DELETE]


def test_the_adopted_role_on_the_job_allows_what_azure_checks(migration: Migration) -> None:
    """The least-privilege proof (infra/stacks/authorization.py): every check Azure makes for
    the application's resources, the job's write (its id, its identity, the environment it
    joins) and delete included, is allowed by a role the platform assigns its identity; the
    job's own write by the adopted role on the job's id, not by a role on the group."""
    plan = migration.platform_plan
    storefront = migration.application("storefront")
    target = target_of(parse_contract(plan["outputs"][CONTRACT_OUTPUT]))
    held = plan_held(plan, "storefront")
    problems = plan_outside(storefront.plan["resources"], target, held)
    assert not problems, "\n".join(problems)
    job = _job(storefront.plan)
    needs = required(job["type"], job["inputs"], WRITE, target, job["name"])
    assert {n.action for n in needs} >= {
        "Microsoft.App/jobs/write",
        "Microsoft.App/managedEnvironments/join/action",
    }
    (own, *_) = needs
    covering = {
        a.role.name
        for a in held
        if a.role is not None and a.role.allows(own) and within(own.scope, [a.scope])
    }
    assert covering
    assert all(name.endswith("application-adopted") for name in covering)
    # Without the adopted role the job is outside what the identity holds.
    adopted = next(r for r in plan["resources"] if r["name"] == "application-adopted")
    narrowed = [a for a in held if a.role_id != adopted["inputs"]["roleDefinitionId"].lower()]
    assert refused(needs, narrowed)
