"""Application declarations. Each module here defines one `Application`; the platform finds it.

Application teams edit this folder (and their stack values) only; see the README's
"Service model" for every field.
"""
