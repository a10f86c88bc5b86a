"""What the Container Apps renderer hands the component for one service (`ContainerAppPlan`),
apart from the renderer so `common.py` can name it in the platform's hook type without
importing the renderer (which imports `common.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_azure_native import app


@dataclass(frozen=True)
class ContainerAppPlan:
    """Everything the component passes to `app.ContainerApp`, plus the certificate to bind."""

    name: str
    identity: app.ManagedServiceIdentityArgs
    configuration: app.ConfigurationArgs
    template: app.TemplateArgs
    tags: dict[str, str]
    workload_profile_name: str
