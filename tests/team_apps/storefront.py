"""The storefront, as the suite's fixture package (tests/apps/stack.py) declares it: imported, not copied."""

from tests.apps import stack as suite

application = suite.application
