"""Plan and event identities: stable across reruns, opaque (no patient data; RFC 7986 5.3)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

from scheduler.model import Regimen

# Fixed namespace: UIDs are uuid5 of plan and event keys, so reruns give the same UIDs.
UID_NAMESPACE = uuid.UUID("6f1d0c1e-8d3b-5a52-9c39-7a1f0e2b4c55")
_NAMESPACE_BYTES = UID_NAMESPACE.bytes


def derive_plan_id(regimen: Regimen, start: date, patient: str | None) -> str:
    """Return the plan identity used when the user gives none: regimen, first date, label.

    The hex of uuid5 (RFC 4122) of "regimen|start|label", written out as EventUids writes UIDs; a
    test holds it equal to uuid.uuid5.
    """
    h = hashlib.sha1(_NAMESPACE_BYTES + f"{regimen.id}|{start.isoformat()}|{patient or ''}".encode()).hexdigest()
    return f"{h[:12]}5{h[13:16]}{_VARIANT[h[16]]}{h[17:32]}"


def event_uid(plan_id: str, key: str) -> str:
    """Return the stable, opaque UID of one event of a plan: uuid5 (RFC 4122) of plan id and key."""
    return EventUids(plan_id)(key)


class EventUids:
    """The UIDs of one plan's events: uuid5 (RFC 4122) of "plan id/key", written with a 5 and variant bits.

    Written out by hand, hashing on from the plan's part, because uuid.uuid5 builds objects a
    clinic's worth of events does not need; a test holds it equal to uuid.uuid5.
    """

    def __init__(self, plan_id: str) -> None:
        self.plan = hashlib.sha1(_NAMESPACE_BYTES + f"{plan_id}/".encode())

    def __call__(self, key: str) -> str:
        digest = self.plan.copy()
        digest.update(key.encode())
        h = digest.hexdigest()
        # Version 5 in the third group's first digit; the RFC 4122 variant (binary 10) in the fourth's.
        return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}@txcal"


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
