"""Text -> instants (UTC epoch seconds), and instants -> ISO 8601 text in a local zone.

Inside elecost an instant is an integer count of UTC epoch seconds: exact, cheap to compare and
to store. Local time appears only where a tariff needs it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_EPOCH = re.compile(r"^-?\d+$")
MIN_S = 631_152_000  # 1990-01-01T00:00Z: nothing elecost bills is older
MAX_S = 4_102_444_800  # 2100-01-01T00:00Z: and nothing later (year 9999 breaks date arithmetic)


def check_instant(seconds: int, text: str) -> int:
    """Refuse an instant outside 1990-2100, saying so when it looks like epoch milliseconds."""
    if MIN_S <= seconds < MAX_S:
        return seconds
    hint = "; it looks like epoch milliseconds: divide by 1000" if MIN_S * 1000 <= seconds < MAX_S * 1000 else ""
    raise ValueError(f"must be between 1990 and 2100, got {_short(text)}{hint}")


def _short(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


def local_instant(moment: datetime, zone: ZoneInfo, text: str, *, date_only: bool = False) -> int:
    """Epoch seconds of a naive local time in `zone`; a time the DST change skips or repeats is
    refused (a reading there is ambiguous), except a date alone, which is the day's first instant."""
    first = moment.replace(tzinfo=zone, fold=0)
    second = moment.replace(tzinfo=zone, fold=1)
    early, late = sorted((int(first.timestamp()), int(second.timestamp())))
    if early == late:
        return early
    low, high = early, late
    while high - low > 1:  # the instant the offset changes
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == datetime.fromtimestamp(low, zone).utcoffset():
            low = middle
        else:
            high = middle
    before = datetime.fromtimestamp(high - 1, zone) + timedelta(seconds=1)  # the old offset's wall clock
    after = datetime.fromtimestamp(high, zone)
    start, end = sorted((before.strftime("%H:%M"), after.strftime("%H:%M")))
    skipped = datetime.fromtimestamp(early, zone).replace(tzinfo=None) != moment
    if skipped:
        if date_only:
            return high
        raise ValueError(
            f"{text!r} does not exist in {zone.key}: the clocks skip {start}-{end} on the DST change; give an offset"
        )
    if date_only:
        return early
    raise ValueError(f"{text!r} is in the repeated hour {start}-{end} on the DST change in {zone.key}; give an offset")


def parse_instant(text: str, zone: ZoneInfo | None) -> int:
    """Epoch seconds from ISO 8601 (with an offset or Z), or from integer epoch seconds.

    A date alone is local midnight in `zone`, and a time without an offset is local wall-clock
    time in `zone` (on a repeated DST hour, the first). Without a zone they are refused.
    Raises ValueError with a message fit for a user.
    """
    text = text.strip()
    if text.isdigit() or _EPOCH.match(text):
        return check_instant(int(text) if len(text) < 20 else MAX_S * 10**6, text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time or epoch seconds: {_short(text)!r}") from None
    if not 1990 <= moment.year < 2100:
        raise ValueError(f"must be between 1990 and 2100, got {_short(text)}")
    if moment.tzinfo is None:
        if zone is None:
            raise ValueError(f"{text!r} has no UTC offset; add one (e.g. Z or -06:00) or give --timezone")
        return check_instant(local_instant(moment, zone, text, date_only=len(text) <= 10), text)
    return check_instant(int(moment.timestamp()), text)


def iso(instant_s: int, zone: ZoneInfo) -> str:
    """ISO 8601 with the UTC offset in force locally at that instant."""
    return datetime.fromtimestamp(instant_s, UTC).astimezone(zone).isoformat()


def local_minute(instant_s: int, zone: ZoneInfo, *, offset: bool = False) -> str:
    """'2026-08-01 17:15' for tables, or with `offset` '2026-08-01 17:15-05:00', which tells a
    repeated hour apart."""
    text = iso(instant_s, zone).replace("T", " ")
    return text[:16] + (text[19:] if offset else "")


def span_text(start_s: int, end_s: int, zone: ZoneInfo) -> str:
    """'2026-11-01 to 11-04' for whole local days, else '2026-11-01 07:00 to 21:00' and the like."""
    start, end = local_minute(start_s, zone), local_minute(end_s, zone)
    if start.endswith("00:00") and end.endswith("00:00"):
        start, end = start[:10], end[:10]
    if end[:4] == start[:4]:
        end = end[5:] if end[:10] != start[:10] else end[11:]
    return f"{start} to {end}"
