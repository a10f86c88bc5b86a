"""Rules of single-instance software: a service with a `Volume` (stateful) or `RECREATE`
updates runs exactly one replica that never runs beside another, on AKS, outside prod.

Why each refusal (docs/service-model.md, "Stateful single-instance software"):

- More than one replica, or autoscaling, or a canary: each would run a second copy at once (a
  second writer on the same data, or a second broker), which is what single-instance promises
  not to do; replicated databases need clustering that a chart or operator configures.
- Container Apps: in single revision mode "the existing active revision isn't deactivated until
  the new revision is ready" (learn.microsoft.com/azure/container-apps/
  application-lifecycle-management, "Zero downtime deployment"), so an update always runs old and
  new together, and Container Apps has no Recreate; its only persistent volume is an Azure Files
  share (…/container-apps/storage-mounts), a network file share, not a disk a database locks.
- prod: one replica on one disk is an outage on every node drain and upgrade (prod policy
  `k8s-prod-replicas-and-pdb` refuses a single replica), and the platform takes no backup of it:
  prod data belongs in a managed service with backups and failover.
"""

from __future__ import annotations

from infra.config import Environment
from infra.services.patterns import DNS_LABEL
from infra.services.rules.registry import Check, service_rule
from infra.services.spec import (
    SECRET_FILES_MOUNT,
    VOLUME_SIZE,
    ServiceSpec,
    Target,
)

MANAGED_SERVICES = (
    "Azure Service Bus for a broker, Azure Cosmos DB for MongoDB or Azure Database for "
    "PostgreSQL for a database"
)
"""What the refusals point to instead of self-run state in prod."""


def _what(spec: ServiceSpec) -> tuple[str, str]:
    """The field that makes the service single-instance, and its value as shown."""
    if spec.storage is not None:
        return "storage", f"Volume(size={spec.storage.size!r})"
    return "update", "recreate"


@service_rule("stateful")
def volume(c: Check[ServiceSpec]) -> None:
    """A volume has a whole-GiB size, an absolute mount path of its own and a DNS-label name."""
    storage = c.spec.storage
    if storage is None:
        return
    if not VOLUME_SIZE.match(storage.size):
        c.add(
            "storage.size",
            storage.size,
            "must be whole GiB (Azure Disks are provisioned in GiB)",
            "use e.g. size='8Gi'",
        )
    path = storage.mount_path
    if not path.startswith("/") or path == "/":
        c.add(
            "storage.mount_path",
            path,
            "must be an absolute path other than /",
            "use the directory the process keeps its data in, e.g. '/var/lib/rabbitmq'",
        )
    elif path in c.spec.writable_paths:
        c.add(
            "storage.mount_path",
            path,
            "is also a writable path (an emptyDir would hide the disk)",
            f"remove {path!r} from writable_paths",
        )
    elif path == SECRET_FILES_MOUNT or path.startswith(SECRET_FILES_MOUNT + "/"):
        c.add(
            "storage.mount_path",
            path,
            f"is where secret files are mounted ({SECRET_FILES_MOUNT})",
            "mount the data elsewhere",
        )
    if not DNS_LABEL.match(storage.name):
        c.add(
            "storage.name",
            storage.name,
            "must be a DNS label (it names the claim)",
            "use e.g. 'data'",
        )


@service_rule("stateful")
def single_instance(c: Check[ServiceSpec]) -> None:
    """Single-instance software runs one replica, never two at once, on AKS, outside prod."""
    spec = c.spec
    if not spec.single_instance():
        return
    field_name, shown = _what(spec)
    if spec.autoscaling is not None:
        c.add(
            "autoscaling",
            None,
            f"scales a single-instance service ({field_name}={shown}): a second replica would "
            "run beside the first",
            "remove autoscaling (replicas=1), or make the service stateless",
        )
    elif spec.replicas != 1:
        c.add(
            "replicas",
            spec.replicas,
            f"must be 1 for a single-instance service ({field_name}={shown}): more replicas "
            "would run side by side on the same data or role",
            "set replicas=1; for a replicated broker or database use a chart or operator that "
            "configures its clustering, or a managed service",
        )
    if spec.rollout is not None:
        c.add(
            "rollout",
            spec.rollout.image,
            f"runs a canary beside a single-instance service ({field_name}={shown})",
            "remove the rollout and change `image` (one replica, replaced in place)",
        )
    if spec.target is Target.CONTAINER_APPS:
        c.add(
            field_name,
            shown,
            "is not available on Container Apps: an update starts the new revision before the "
            "old one stops (no Recreate), and its persistent volumes are Azure Files shares, "
            "not disks",
            f"run it on AKS (target=Target.AKS), or use a managed service ({MANAGED_SERVICES})",
        )
    if c.context.environment is Environment.PROD:
        c.add(
            field_name,
            shown,
            "is refused in prod: one replica is an outage on every node drain and upgrade, and "
            "the platform takes no backup of its data",
            f"use a managed service in prod ({MANAGED_SERVICES}) and depend on it by address; "
            "keep the self-run one for dev and staging",
        )
