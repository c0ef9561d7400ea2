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
    """Return the plan identity used when the user gives none: regimen, first date, label."""
    return uuid.uuid5(UID_NAMESPACE, f"{regimen.id}|{start.isoformat()}|{patient or ''}").hex


def event_uid(plan_id: str, key: str) -> str:
    """Return the stable, opaque UID of one event of a plan: uuid5 (RFC 4122) of plan id and key.

    Written out by hand because uuid.uuid5 builds objects a clinic's worth of events does not need;
    a test holds it equal to uuid.uuid5.
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{plan_id}/{key}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}@txcal"
