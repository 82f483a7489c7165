"""Numbered schema migrations, append-only, applied on every open (`elecost.db.Migrations`).

Never edit a migration that has shipped: add the next one. Key columns are NOT NULL (the whole
meter is miner '' rather than NULL, since NULLs never collide in a unique index), so re-imports
and re-runs of `record` hit the unique keys instead of adding rows.
"""

from __future__ import annotations

from elecost.db import Database, Migrations

migrations = Migrations("elecost")


@migrations(name="001_initial")
def m001_initial(db: Database) -> None:
    """Rates as the original `electricity_rates`; readings keyed by miner id; cost rows as `electricity_costs`."""
    db.execute(
        """
        CREATE TABLE rates (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            description TEXT,
            active INTEGER NOT NULL DEFAULT 0,
            location TEXT NOT NULL,
            timezone TEXT NOT NULL,
            rate_type TEXT NOT NULL,
            flat_rate_usd_per_kwh REAL,
            tou_schedule TEXT,
            tiered_rates TEXT,
            daily_service_charge_usd REAL NOT NULL DEFAULT 0,
            demand_charge_usd_per_kw REAL NOT NULL DEFAULT 0,
            demand_interval_minutes INTEGER NOT NULL DEFAULT 15,
            billing_cycle_day INTEGER NOT NULL DEFAULT 1,
            utility_name TEXT,
            account_number TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE miners (
            id INTEGER PRIMARY KEY,
            location TEXT NOT NULL,
            name TEXT NOT NULL,
            UNIQUE (location, name)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE readings (
            miner_id INTEGER NOT NULL REFERENCES miners(id),
            timestamp_s INTEGER NOT NULL,
            power_w REAL NOT NULL,
            duration_s INTEGER,
            PRIMARY KEY (miner_id, timestamp_s)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE dirty (
            location TEXT NOT NULL,
            start_s INTEGER NOT NULL,
            end_s INTEGER NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE costs (
            id INTEGER PRIMARY KEY,
            timestamp TEXT NOT NULL,
            location TEXT NOT NULL,
            miner_ip TEXT NOT NULL,
            period_start_s INTEGER NOT NULL,
            period_end_s INTEGER NOT NULL,
            billing_period_start_s INTEGER NOT NULL,
            duration_hours REAL NOT NULL,
            total_kwh REAL NOT NULL,
            avg_power_kw REAL NOT NULL,
            peak_power_kw REAL NOT NULL,
            rate_id INTEGER,
            rate_name TEXT NOT NULL,
            avg_rate_usd_per_kwh REAL NOT NULL,
            energy_cost_usd REAL NOT NULL,
            demand_charge_usd REAL NOT NULL,
            service_charge_usd REAL NOT NULL,
            total_cost_usd REAL NOT NULL,
            tou_breakdown_usd TEXT NOT NULL,
            UNIQUE (location, miner_ip, period_start_s)
        )
        """
    )
    db.execute("CREATE INDEX costs_by_time ON costs (period_start_s)")


@migrations(name="002_breakdowns")
def m002_breakdowns(db: Database) -> None:
    """Cost rows keep tiered energy cost per block (as bills show it) and kWh per TOU period."""
    db.execute("ALTER TABLE costs ADD COLUMN tier_breakdown_usd TEXT NOT NULL DEFAULT '{}'")
    db.execute("ALTER TABLE costs ADD COLUMN tou_breakdown_kwh TEXT NOT NULL DEFAULT '{}'")


@migrations(name="003_inventory_and_budgets")
def m003_inventory_and_budgets(db: Database) -> None:
    """Miners get nameplate data (the inventory); budgets per location ('' = the whole operation)."""
    db.execute("ALTER TABLE miners ADD COLUMN listed INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE miners ADD COLUMN hashrate_th REAL")
    db.execute("ALTER TABLE miners ADD COLUMN power_w REAL")
    db.execute("ALTER TABLE miners ADD COLUMN model TEXT")
    db.execute(
        """
        CREATE TABLE budgets (
            location TEXT PRIMARY KEY,
            monthly_usd REAL NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )


@migrations(name="004_cost_rows_by_miner")
def m004_cost_rows_by_miner(db: Database) -> None:
    """Reports read the meter's rows (miner '') or one miner's by time: index them so."""
    db.execute("CREATE INDEX costs_by_miner_time ON costs (miner_ip, period_start_s)")


@migrations(name="005_charges_and_lines")
def m005_charges_and_lines(db: Database) -> None:
    """Tariffs as charges and cost rows as line items.

    A rate keeps its whole tariff as a JSON `spec` (the long form has keys the columns lack). Each
    cost row's lines are rows of `cost_lines`, their kind (charge, label, unit, ...) stored once in
    `line_kinds`. A miner keeps the median spacing of its readings, so stored readings last as a
    file's would. Cost rows made before lines existed are dropped and their readings marked for
    `record`, which prices them again.
    """
    db.execute("ALTER TABLE rates ADD COLUMN spec TEXT")
    db.execute("ALTER TABLE miners ADD COLUMN spacing_s INTEGER")
    db.execute(
        """
        CREATE TABLE line_kinds (
            id INTEGER PRIMARY KEY,
            charge TEXT NOT NULL,
            label TEXT NOT NULL,
            unit TEXT NOT NULL,
            part INTEGER NOT NULL,
            period TEXT NOT NULL,
            tier TEXT NOT NULL,
            UNIQUE (charge, label, unit, part, period, tier)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE cost_lines (
            cost_id INTEGER NOT NULL,
            position INTEGER NOT NULL,
            kind_id INTEGER NOT NULL REFERENCES line_kinds(id),
            quantity REAL NOT NULL,
            usd REAL NOT NULL,
            PRIMARY KEY (cost_id, position)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        "INSERT INTO dirty (location, start_s, end_s) SELECT location, min(period_start_s), max(period_start_s) "
        "FROM costs GROUP BY location"
    )
    db.execute("DELETE FROM costs")


@migrations(name="006_reprice")
def m006_reprice(db: Database) -> None:
    """Locations whose tariff changed since `record` last ran, and why: the next `record` redoes
    their cost rows from scratch and says so (their readings span is in `dirty` as well)."""
    db.execute("CREATE TABLE reprice (location TEXT PRIMARY KEY, reason TEXT NOT NULL)")


@migrations(name="007_prices_and_peaks")
def m007_prices_and_peaks(db: Database) -> None:
    """Wholesale price series per market, exact as integer micro-USD per MWh (sqlite-utils would
    write a Decimal as REAL), and the named sets of system coincident-peak intervals."""
    db.execute(
        """
        CREATE TABLE prices (
            market TEXT NOT NULL,
            start_s INTEGER NOT NULL,
            end_s INTEGER NOT NULL,
            price_uusd_per_mwh INTEGER NOT NULL,
            PRIMARY KEY (market, start_s)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE peaks (
            name TEXT NOT NULL,
            start_s INTEGER NOT NULL,
            end_s INTEGER NOT NULL,
            PRIMARY KEY (name, start_s)
        ) WITHOUT ROWID
        """
    )


@migrations(name="008_miner_addresses")
def m008_miner_addresses(db: Database) -> None:
    """Where a miner's API listens, when not at its name on port 4028 (NULL = the default)."""
    db.execute("ALTER TABLE miners ADD COLUMN host TEXT")
    db.execute("ALTER TABLE miners ADD COLUMN port INTEGER")


@migrations(name="009_cost_days")
def m009_cost_days(db: Database) -> None:
    """Daily rollups of cost rows (see `elecost.rollups`): per location, local day (the start and end
    of the day in the rate's timezone) and miner ('' the meter), and their lines per kind. Filled
    here from the rows already stored, by the timezone of each location's rate."""
    db.execute(
        """
        CREATE TABLE cost_days (
            location TEXT NOT NULL,
            day_start_s INTEGER NOT NULL,
            miner_ip TEXT NOT NULL,
            day_end_s INTEGER NOT NULL,
            first_s INTEGER NOT NULL,
            last_s INTEGER NOT NULL,
            covered_s INTEGER NOT NULL,
            rate_name TEXT NOT NULL,
            total_kwh REAL NOT NULL,
            peak_power_kw REAL NOT NULL,
            energy_cost_usd REAL NOT NULL,
            demand_charge_usd REAL NOT NULL,
            service_charge_usd REAL NOT NULL,
            PRIMARY KEY (location, day_start_s, miner_ip)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE cost_day_lines (
            location TEXT NOT NULL,
            day_start_s INTEGER NOT NULL,
            miner_ip TEXT NOT NULL,
            kind_id INTEGER NOT NULL REFERENCES line_kinds(id),
            quantity REAL NOT NULL,
            usd REAL NOT NULL,
            PRIMARY KEY (location, day_start_s, miner_ip, kind_id)
        ) WITHOUT ROWID
        """
    )
    from zoneinfo import ZoneInfo

    from elecost.rollups import rebuild_days
    from elecost.tariffs.periods import local_days

    spans = db.execute(
        "SELECT c.location, min(c.period_start_s), max(c.period_end_s), "
        "(SELECT timezone FROM rates r WHERE r.location = c.location ORDER BY r.active DESC, r.id DESC LIMIT 1) "
        "FROM costs c GROUP BY c.location"
    ).fetchall()
    for location, first, last, timezone in spans:
        rebuild_days(db, location, local_days(ZoneInfo(timezone or "UTC"), first, last))


@migrations(name="010_pruned")
def m010_pruned(db: Database) -> None:
    """Per location, the instant before which its readings were pruned (see `elecost.retention`)."""
    db.execute("CREATE TABLE pruned (location TEXT PRIMARY KEY, before_s INTEGER NOT NULL)")


@migrations(name="011_miner_clients")
def m011_miner_clients(db: Database) -> None:
    """The hosting client a miner belongs to (NULL: the operation's own), for `summary --by client`."""
    db.execute("ALTER TABLE miners ADD COLUMN client TEXT")


@migrations(name="012_carbon")
def m012_carbon(db: Database) -> None:
    """Carbon intensity series per grid zone, exact as integer micrograms CO2 per kWh (as prices are
    micro-USD per MWh), and which zone each location's energy comes from (`carbon import --location`).
    Portable SQL: BIGINT for the values, a plain table (no WITHOUT ROWID)."""
    db.execute(
        """
        CREATE TABLE carbon (
            zone TEXT NOT NULL,
            start_s BIGINT NOT NULL,
            end_s BIGINT NOT NULL,
            ugco2_per_kwh BIGINT NOT NULL,
            PRIMARY KEY (zone, start_s)
        )
        """
    )
    db.execute("CREATE TABLE carbon_locations (location TEXT PRIMARY KEY, zone TEXT NOT NULL)")


@migrations(name="013_location_settings")
def m013_location_settings(db: Database) -> None:
    """Per-location settings that decide how `record` makes cost rows, kept for later (cron) runs:
    `allocate_overhead` (1: each hour's site overhead is shared among its miners' rows). The
    location '' holds the setting for locations first seen later."""
    db.execute(
        """
        CREATE TABLE location_settings (
            location TEXT PRIMARY KEY,
            allocate_overhead INTEGER NOT NULL DEFAULT 0
        )
        """
    )
