"""Names elecost gives cost rows itself, in the miner column: no miner of a readings file may take one;
and the labels of a summary's miners.

The whole meter is the miner '' (a file's rows without a miner). The site overhead, what the meter
read beyond its miners in an hour, is a row of its own under `SITE_OVERHEAD`; a miner of that name
would share its key, and reports would take the miner for the overhead.
"""

from collections import Counter
from collections.abc import Iterable

SITE_OVERHEAD = "(site overhead)"


def taken_name(name: str) -> str | None:
    """Why a miner may not be called `name` (None: it may)."""
    if name.strip() == SITE_OVERHEAD:
        return f"{SITE_OVERHEAD!r} is elecost's name for a site's overhead; name the miner otherwise"
    return None


def miner_labels(miners: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """A label per (location, miner) of a summary by miner (its costs and its CO2 alike): the miner's
    name, or "name (location)" where the name is found at several locations (private addresses
    repeat from site to site: two miners, not one)."""
    pairs = list(dict.fromkeys(miners))
    count = Counter(name for _, name in pairs)
    return {(place, name): name if count[name] == 1 else f"{name} ({place})" for place, name in pairs}
