"""The reference team stacks (`infra/stacks/examples/<stack>.yaml`): a platform stack per
environment (an environment stack's config plus `base:`'s overlay) and the storefront's
application stack on it. Read by the stack-file reader (`infra/preview/stackfile.py`), like
stack files; a project adopts them as `Pulumi.<stack>.yaml` files (docs/team-stacks.md)."""

from infra.preview.stackfile import EXAMPLES, ORGANIZATION, example_names, example_stack, full_name

__all__ = ["EXAMPLES", "ORGANIZATION", "example_names", "example_stack", "full_name"]
