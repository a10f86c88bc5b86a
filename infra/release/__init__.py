"""Canary release decisions: pure functions over recorded health samples (`decision.py`) and
the command the deploy workflow feeds its gathered numbers to (`__main__.py`)."""
