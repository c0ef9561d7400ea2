"""The `txcal` command: wiring only, one module per command group (loaded when its command runs,
see COMMAND_MODULES); the only importer of click."""

from __future__ import annotations

from scheduler.cli.main import main

__all__ = ["main"]
