"""Load a stack's config: the typed model (`infra/config.py`) checked key by key, then its
cross-key rules (`infra/config_rules.py`), all problems in one report.

Above both: the rules import the model's types, so the step that runs them lives here, not in
`infra/config.py` (which would import its own rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from infra.config import (
    NAMESPACE,
    ApplicationStackConfig,
    Environment,
    LocalConfig,
    PlatformConfig,
    StackMode,
    parse_raw_value,
    type_checked,
)
from infra.config_rules import config_problems
from infra.problems import InvalidInput


def platform_config_from_values(
    values: Mapping[str, Any], today: dt.date | None = None
) -> PlatformConfig:
    """Validate the `platform:*` values of an Azure stack in one pass (keys without namespace);
    rules that depend on the day (the AKS version calendar) use `today`, by default the real
    date (`infra.aks_versions.reference_date`)."""
    config = type_checked(PlatformConfig, values)
    assert isinstance(config, PlatformConfig)
    problems = config_problems(config, today)
    if problems:
        raise InvalidInput("the stack config", problems)
    return config


def stack_config_from_values(values: Mapping[str, Any]) -> PlatformConfig | LocalConfig:
    """An Azure stack's config, or the local stack's (chosen by `platform:environment`)."""
    if parse_raw_value(values.get("environment")) == Environment.LOCAL.value:
        local = type_checked(LocalConfig, values)
        assert isinstance(local, LocalConfig)
        return local
    return platform_config_from_values(values)


def stack_mode(values: Mapping[str, Any]) -> StackMode:
    """`platform:mode` of a stack's values (keys without namespace); single when not set. An
    unknown mode is left to the config's own validation, which names the allowed ones."""
    try:
        return StackMode(parse_raw_value(values.get("mode", StackMode.SINGLE.value)))
    except ValueError:
        return StackMode.SINGLE


def application_config_from_values(values: Mapping[str, Any]) -> ApplicationStackConfig:
    """Validate the `platform:*` values of an application stack."""
    config = type_checked(ApplicationStackConfig, values)
    assert isinstance(config, ApplicationStackConfig)
    return config


def load_platform_config() -> PlatformConfig | LocalConfig:
    """Read every `platform:*` key the running stack has (so unknown keys are caught too)."""
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    prefix = f"{NAMESPACE}:"
    values = {k[len(prefix) :]: v for k, v in merged.items() if k.startswith(prefix)}
    return stack_config_from_values(values)
