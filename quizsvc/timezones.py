"""A course's time zone: every date is shown and entered in it (stored in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_TZ = "Asia/Seoul"


@cache
def names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):  # a stored name the system no longer knows
        return ZoneInfo(DEFAULT_TZ)


def from_local(value: datetime | None, name: str | None) -> datetime | None:
    """A date-time entered in a form (no offset) read in the course's zone, as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(name))
    return value.astimezone(UTC)


def to_local(value: datetime | None, name: str | None) -> datetime | None:
    """A stored date-time as a form shows it: in the course's zone, without an offset."""
    return value.astimezone(zone(name)).replace(tzinfo=None) if value is not None else None


def show(value: datetime, name: str | None) -> str:
    local = value.astimezone(zone(name))
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "")
