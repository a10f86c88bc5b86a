"""Application declarations. Each module here defines one `Application`; the platform finds it.

Application teams edit this folder (and their stack values) only; see
docs/service-model.md for every field, docs/app-team-quickstart.md for a first service.
"""
