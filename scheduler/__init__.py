"""txcal: treatment-schedule calendars from regimen templates.

The public API: load regimens, resolve a drug name, expand a plan into dated events. Names load
on first use, so `txcal` itself imports only what a command needs.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = {
    "Plan": "scheduler.model",
    "PlanRequest": "scheduler.model",
    "PlannedEvent": "scheduler.model",
    "Regimen": "scheduler.model",
    "TxcalError": "scheduler.errors",
    "expand": "scheduler.engine",
    "load_regimens": "scheduler.catalog.loader",
    "load_template": "scheduler.catalog.loader",
}
__all__ = [*_API, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'scheduler' has no attribute {name!r}")
