"""The reference team stacks' applications (docs/team-stacks.md, "Calls across applications"):
two applications, so that a call crosses application stacks.

- `storefront`: the suite's storefront (the fixture package tests/apps), unchanged;
- `loyalty`: a second team's application whose services call the storefront's catalog-api (AKS →
  AKS: the storefront's NetworkPolicy admits the loyalty namespace) and identity-api (AKS →
  Container Apps: external ingress restricted to AKS's egress).

The single stacks plan tests/apps (the goldens); these are planned with
`PLATFORM_APPS=tests.team_apps`, the application stacks `loyalty-<env>` and `storefront-<env>` on
the platform stacks that onboard both (infra/stacks/examples/).
"""
