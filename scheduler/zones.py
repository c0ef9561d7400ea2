"""Time zones by IANA name: check a name, and find the machine's own zone name."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def check_zone(name: str) -> str:
    """Return `name` if it is an IANA time zone this machine knows.

    Raises:
        ValueError: the name is not a known zone.
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a known time zone: use an IANA name such as Europe/Berlin or America/New_York"
        ) from None
    return name


def machine_zone_name() -> str | None:
    """Return this machine's time zone by IANA name (TZ, /etc/timezone, /etc/localtime), or None."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        # TZ rules the machine's clock when set; an unnamed zone in it means we cannot tell.
        name = tz.split("zoneinfo/")[-1]
        return name if _known(name) else None
    candidates = []
    timezone_file = Path("/etc/timezone")
    if timezone_file.is_file():
        candidates.append(timezone_file.read_text(encoding="utf-8").strip())
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        candidates.append(str(localtime.resolve()).split("zoneinfo/")[-1])
    return next((c for c in candidates if _known(c)), None)


def _known(name: str) -> bool:
    try:
        check_zone(name)
    except ValueError:
        return False
    return True
