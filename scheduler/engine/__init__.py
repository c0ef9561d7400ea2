"""The engine: a regimen and a plan request in, dated events out; pure data, no I/O, no wording of options."""

from __future__ import annotations

from scheduler.engine.core import expand
from scheduler.identity import UID_NAMESPACE, derive_plan_id, event_uid

__all__ = ["UID_NAMESPACE", "derive_plan_id", "event_uid", "expand"]
