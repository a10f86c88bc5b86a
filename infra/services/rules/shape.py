"""Rules of a workload's shape: its name and its image."""

from __future__ import annotations

from infra.config import Environment
from infra.services.images import parse_image
from infra.services.patterns import DNS_LABEL, MAX_NAME
from infra.services.rules.registry import (
    Workload,
    workload_rule,
)
from infra.services.spec import Target


@workload_rule("name")
def name(c: Workload) -> None:
    """Names become Kubernetes object names and Container App names: a DNS label, within the
    target's limit, so the same declaration deploys on either target."""
    spec = c.spec
    limit = MAX_NAME[spec.target]
    if not DNS_LABEL.match(spec.name) or len(spec.name) > limit or "--" in spec.name:
        c.add(
            "name",
            spec.name,
            f"is not a DNS label of at most {limit} characters"
            + (" (the Container Apps limit)" if spec.target is Target.CONTAINER_APPS else ""),
            "use lowercase letters, digits and single '-', starting with a letter",
        )


@workload_rule("image")
def image(c: Workload) -> None:
    """An image must name what runs: a tag or digest (never an implicit 'latest'), and in prod a digest,
    so a deploy is reproducible and a pushed tag cannot change what runs."""
    ref = parse_image(c.spec.image)
    if ref is None:
        c.add(
            "image",
            c.spec.image,
            "is not an image reference",
            "use registry/repository:tag or repository@sha256:<digest>",
        )
        return
    if ref.tag is None and ref.digest is None:
        c.add(
            "image",
            c.spec.image,
            "has no tag or digest (it would mean 'latest')",
            "pin a version tag, e.g. :1.4.2, or a digest",
        )
    elif ref.tag == "latest" and ref.digest is None and c.context.environment is Environment.PROD:
        c.add(
            "image",
            c.spec.image,
            "uses the mutable 'latest' tag in prod",
            "pin a version tag or a digest (set overrides['prod'].image)",
        )
    elif (
        ref.digest is None
        and c.context.environment is Environment.PROD
        and c.context.image_lock is not None
    ):
        c.add(
            "image",
            c.spec.image,
            "is a tag without a digest, and prod runs images by digest",
            "let the deploy workflow lock it (python -m infra.services.image_lock resolve "
            "prod writes apps/images.lock.yaml) or pin repository@sha256:<digest>",
        )
