"""The platform test suite's own applications (not `apps/`, which application teams own).

Every platform test plans these: tests/conftest.py sets `PLATFORM_APPS=tests.apps` (read by
infra/services/loader.py) for the session and every subprocess it starts, so the golden files,
the stack simulations and every other test stay green whatever an app team does in `apps/`.
`stack.py` is the stack fixture (what every whole-plan test deploys; `images.lock.yaml` is
its image lock), `features/` the feature fixtures the golden files render; together they
exercise every type, field and enum member of the service model
(tests/test_fixture_coverage.py). Change them only with the tests that read them
(docs/testing.md).
"""
