"""Names elecost gives cost rows itself, in the miner column: no miner of a readings file may take one.

The whole meter is the miner '' (a file's rows without a miner). The site overhead, what the meter
read beyond its miners in an hour, is a row of its own under `SITE_OVERHEAD`; a miner of that name
would share its key, and reports would take the miner for the overhead.
"""

SITE_OVERHEAD = "(site overhead)"
