"""``hopnhat batches`` and ``hopnhat quarantine``: the ledger operators read at 2 a.m."""

from __future__ import annotations

import click

from migrate.cli.options import store_option
from migrate.config import Settings


@click.group("batches")
def batches_group() -> None:
    """List, show and rerun batches.

    \b
    Example:
        hopnhat batches list --state failed
    """


@batches_group.command("list")
@store_option
@click.option("--state", type=click.Choice(["planned", "running", "loaded", "failed", "verified"]), default=None)
@click.option("--source", default=None, help="Only this source system.")
def list_command(store: str | None, state: str | None, source: str | None) -> None:
    """One line per batch: id, source/entity, key range, state, attempts, counts.

    \b
    Example:
        hopnhat batches list --state failed --store sqlite:///hopnhat.sqlite
    """
    from migrate import ledger
    from migrate.pipeline import open_store

    engine = open_store(Settings.load(store=store))
    with engine.connect() as conn:
        rows = ledger.listing(conn, state=state, source=source)
    click.echo(f"{'id':>6}  {'source/entity':<32}{'keys':<24}{'state':<10}{'tries':>5}{'extr.':>7}{'load.':>7}"
               f"{'merg.':>6}{'quar.':>6}")
    for r in rows:
        keys = f"{','.join(map(str, r.key_lo))}..{','.join(map(str, r.key_hi))}"
        c = r.counts
        click.echo(f"{r.id:>6}  {r.source_system + '/' + r.entity:<32}{keys:<24}{r.state:<10}{r.attempts:>5}"
                   f"{c.extracted:>7}{c.loaded:>7}{c.merged:>6}{c.quarantined:>6}")
    click.echo(f"{len(rows)} batch(es)")


@batches_group.command("show")
@store_option
@click.argument("batch_id", type=int)
def show_command(store: str | None, batch_id: int) -> None:
    """Everything the ledger knows about one batch, with its last error.

    \b
    Example:
        hopnhat batches show 42
    """
    from migrate import ledger
    from migrate.errors import StoreError
    from migrate.pipeline import open_store

    engine = open_store(Settings.load(store=store))
    with engine.connect() as conn:
        row = ledger.get(conn, batch_id)
    if row is None:
        raise StoreError(f"Batch {batch_id} is not in the ledger. List them: hopnhat batches list")
    click.echo(row.describe())
    for name in ("run_id", "seq", "state", "attempts", "started_at", "finished_at"):
        click.echo(f"  {name}: {getattr(row, name)}")
    c = row.counts
    click.echo(f"  counts: extracted {c.extracted}, loaded {c.loaded}, merged {c.merged}, "
               f"quarantined {c.quarantined}, excluded {c.excluded}")
    if row.error:
        click.echo(f"  error: {row.error}")


@batches_group.command("rerun")
@store_option
@click.argument("batch_id", type=int)
@click.argument("profiles", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--files-dir", type=click.Path(file_okay=False), default=None)
def rerun_command(store: str | None, batch_id: int, profiles: tuple[str, ...], files_dir: str | None) -> None:
    """Re-read one batch's key range from its source and load it again (idempotent).

    \b
    Example:
        hopnhat batches rerun 42 profiles/hanam.toml
    """
    from migrate import pipeline

    settings = Settings.load(profiles, store=store, files_dir=files_dir)
    row = pipeline.rerun(settings, batch_id)
    click.echo(f"{row.describe()}: {row.state} after {row.attempts} attempt(s)"
               + (f"; {row.error}" if row.error else ""))


@click.group("quarantine")
def quarantine_group() -> None:
    """Records that could not be loaded, with the field, the reason and the raw payload.

    \b
    Example:
        hopnhat quarantine list --store sqlite:///hopnhat.sqlite
    """


@quarantine_group.command("list")
@store_option
@click.option("--source", default=None, help="Only this source system.")
@click.option("--all", "show_all", is_flag=True, help="Include records released by a later rerun.")
def quarantine_list(store: str | None, source: str | None, show_all: bool) -> None:
    """One line per quarantined record: source, table, key, field and reason.

    \b
    Example:
        hopnhat quarantine list --source hanam-portal
    """
    from sqlalchemy import select

    from migrate.pipeline import open_store
    from migrate.store.models import quarantine

    engine = open_store(Settings.load(store=store))
    stmt = select(quarantine).order_by(quarantine.c.id)
    if source:
        stmt = stmt.where(quarantine.c.source_system == source)
    if not show_all:
        stmt = stmt.where(quarantine.c.released_at.is_(None))
    count = 0
    with engine.connect() as conn:
        for q in conn.execute(stmt):
            count += 1
            click.echo(f"{q.source_system}/{q.source_table}/{q.source_key}  {q.field}: {q.reason}")
    click.echo(f"{count} record(s) in quarantine")
