"""Make an AKS user kubeconfig usable without a person at the keyboard.

With Entra ID integration, AKS hands out kubeconfigs whose exec plugin runs
`kubelogin get-token --login devicecode`, which waits for someone to open a browser. Pulumi (on a
laptop or in CI) needs a non-interactive login, so the login mode is rewritten here.
"""

from __future__ import annotations

import base64
from typing import Any

import yaml

# Modes whose identity comes from the environment (az login, AZURE_CLIENT_ID, ...): the
# `--client-id` AKS writes is the Azure CLI app's, and would make kubelogin use the wrong identity.
_MODES_WITHOUT_CLIENT_ID = frozenset({"azurecli", "workloadidentity", "spn", "msi"})


def _without_option(args: list[str], option: str) -> list[str]:
    result: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == option:
            skip = True
            continue
        if arg.startswith(option + "="):
            continue
        result.append(arg)
    return result


def with_login_mode(kubeconfig_b64: str, mode: str) -> str:
    """Decode an AKS kubeconfig and set every kubelogin exec user's login mode to `mode`."""
    document: dict[str, Any] = yaml.safe_load(base64.b64decode(kubeconfig_b64).decode()) or {}
    for user in document.get("users") or []:
        exec_config = (user.get("user") or {}).get("exec")
        if not exec_config or "kubelogin" not in str(exec_config.get("command", "")):
            continue
        args = _without_option([str(a) for a in exec_config.get("args") or []], "--login")
        if mode in _MODES_WITHOUT_CLIENT_ID:
            args = _without_option(args, "--client-id")
        exec_config["args"] = [*args, "--login", mode]
    return yaml.safe_dump(document, sort_keys=False)
