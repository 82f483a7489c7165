"""Text -> instants (UTC epoch seconds), and instants -> ISO 8601 text in a local zone.

Inside elecost an instant is an integer count of UTC epoch seconds: exact, cheap to compare and
to store. Local time appears only where a tariff needs it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

_EPOCH = re.compile(r"^-?\d+$")


def parse_instant(text: str, zone: ZoneInfo | None) -> int:
    """Epoch seconds from ISO 8601 (with an offset or Z), or from integer epoch seconds.

    A date alone is local midnight in `zone`, and a time without an offset is local wall-clock
    time in `zone` (on a repeated DST hour, the first). Without a zone they are refused.
    Raises ValueError with a message fit for a user.
    """
    text = text.strip()
    if text.isdigit() or _EPOCH.match(text):
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time or epoch seconds: {text!r}") from None
    if moment.tzinfo is None:
        if zone is None:
            raise ValueError(f"{text!r} has no UTC offset; add one (e.g. Z or -06:00) or give --timezone")
        moment = moment.replace(tzinfo=zone)
    return int(moment.timestamp())


def iso(instant_s: int, zone: ZoneInfo) -> str:
    """ISO 8601 with the UTC offset in force locally at that instant."""
    return datetime.fromtimestamp(instant_s, UTC).astimezone(zone).isoformat()
