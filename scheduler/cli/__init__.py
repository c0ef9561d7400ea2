"""The `txcal` command: wiring only; the only importer of click."""

from __future__ import annotations

from scheduler.cli.main import main

__all__ = ["main"]
