"""The platform test suite's own applications (not `apps/`, which application teams own).

Every platform test plans these: tests/conftest.py sets `PLATFORM_APPS=tests.apps` (read by
infra/services/loader.py) for the session and every subprocess it starts, so the golden files,
the stack simulations and every other test stay green whatever an app team does in `apps/`.
`storefront.py` covers every feature the reference application covers; `images.lock.yaml` is
its image lock. Change them only with the tests that read them (docs/testing.md).
"""
