"""`elecost info`: which database a command would use, and what is in it."""

import typer

from elecost.cli.common import (
    DbOption,
    JsonOption,
    app,
    database_url,
    db_path,
    exit_codes,
    open_database,
    show,
    show_json,
)


@app.command(rich_help_panel="Track")
def info(json_out: JsonOption = False, db: DbOption = None) -> None:
    """Which database, its size, its rates, the span of its readings and the last record."""
    from elecost.instants import iso
    from elecost.store import database_facts

    with exit_codes():
        path = db_path(db)
        url = database_url(path)
        if url is None and not path.exists():
            if json_out:
                show_json({"database": str(path), "exists": False})
            else:
                typer.echo(f"database: {path} (does not exist yet: `elecost rate init` creates it)")
            return
        opened = open_database(db)
        facts = database_facts(opened)
        if url is not None:
            import re

            from elecost.store import database_size_bytes

            shown = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)  # never a password
            data = {"database": shown, "size_bytes": database_size_bytes(opened), **facts}
        else:
            size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
            data = {"database": str(path.resolve()), "size_bytes": size, **facts}
        from zoneinfo import ZoneInfo

        for key in ("first_reading_s", "last_reading_s"):
            value = data.pop(key)
            data[key.removesuffix("_s")] = iso(value, ZoneInfo("UTC")) if value is not None else None
        data["schema"] = data["schema"][0] if data["schema"] else None
        from elecost.settings_store import allocating_locations

        data["overhead_allocated"] = sorted(allocating_locations(opened, data["active_rates"]))
        if json_out:
            show_json(data)
        else:
            from elecost.report import facts_table

            show(facts_table(data))
