"""Names elecost gives cost rows itself, in the miner column: no miner of a readings file may take one.

The whole meter is the miner '' (a file's rows without a miner). The site overhead, what the meter
read beyond its miners in an hour, is a row of its own under `SITE_OVERHEAD`; a miner of that name
would share its key, and reports would take the miner for the overhead.
"""

SITE_OVERHEAD = "(site overhead)"


def taken_name(name: str) -> str | None:
    """Why a miner may not be called `name` (None: it may)."""
    if name.strip() == SITE_OVERHEAD:
        return f"{SITE_OVERHEAD!r} is elecost's name for a site's overhead; name the miner otherwise"
    return None
