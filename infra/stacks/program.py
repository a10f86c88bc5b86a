"""The team-stack modes of the program (docs/team-stacks.md): `infra.program.build` hands the
stack here when `platform:mode` is `platform` or `application`; `single` never comes here."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pulumi
from pulumi.runtime import config as runtime_config

from infra.config import NAMESPACE, LocalConfig, StackMode
from infra.config_loader import application_config_from_values, load_platform_config, stack_mode
from infra.config_rules import ci_subject_advisories
from infra.problems import InvalidInput, Problem
from infra.services.catalog import Catalog
from infra.services.loader import load_applications
from infra.services.render.common import PlatformExtensions
from infra.services.spec import Application
from infra.stacks.application import build_application, platform_secrets
from infra.stacks.platform import build_platform

if TYPE_CHECKING:
    from infra.running_stack import Platform


def _values() -> dict[str, object]:
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in merged.items() if k.startswith(prefix)}


def current_mode() -> StackMode:
    """The running stack's `platform:mode` (single when not set)."""
    return stack_mode(_values())


def build_stack(
    mode: StackMode,
    extensions: PlatformExtensions,
    applications: Sequence[Application] | None,
) -> Platform:
    from infra.running_stack import Platform

    if mode is StackMode.APPLICATION:
        config = application_config_from_values(_values())
        build_application(config, extensions, applications)
        return Platform(None, Catalog(()), {})
    config = load_platform_config()
    if isinstance(config, LocalConfig):
        raise InvalidInput(
            "the stack config",
            [
                Problem(
                    f"{NAMESPACE}:mode",
                    mode.value,
                    "the local stack has no platform to share",
                    "delete platform:mode (the local stack is always single)",
                )
            ],
        )
    for advisory in ci_subject_advisories(config, os.environ.get("GITHUB_REPOSITORY")):
        pulumi.log.warn(f"{advisory.path} = {advisory.value}: {advisory.problem} → {advisory.fix}")
    declared = load_applications() if applications is None else applications
    foundation = build_platform(config, platform_secrets(declared), extensions, declared)
    return Platform(foundation, Catalog(()), {})
