"""The storefront, as the suite's fixture package (tests/apps) declares it: imported, not copied."""

from tests.apps import storefront as suite

application = suite.application
