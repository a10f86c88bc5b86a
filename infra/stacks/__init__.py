"""Team stacks: one platform stack per environment, one application stack per application
(docs/team-stacks.md). The `single` mode (everything in one stack) does not import this package."""
