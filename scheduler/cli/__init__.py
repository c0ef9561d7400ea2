"""The `txcal` command: wiring only, one module per command group; the only importer of click."""

from __future__ import annotations

from scheduler.cli import clinic, plan, record, templates  # noqa: F401  (each registers its commands)
from scheduler.cli.main import main

__all__ = ["main"]
