"""``hopnhat bench``: throughput and memory measurements."""

from __future__ import annotations

import click

from migrate.cli.benchload import load_command


@click.group("bench")
def bench_group() -> None:
    """Measure extraction, loading and reconciliation speed.

    \b
    Example:
        hopnhat bench extract --rows 100000 --engines sqlite
    """


@bench_group.command("extract")
@click.option("--rows", default="100000,1000000", show_default=True, help="Table sizes, comma separated.")
@click.option("--engines", default="sqlite,postgresql", show_default=True, help="sqlite, postgresql.")
@click.option("--pg", "pg_url", envvar="HOPNHAT_BENCH_PG_URL", default=None, metavar="URL",
              help="PostgreSQL database to build the table in (schema hopnhat_bench; env HOPNHAT_BENCH_PG_URL).")
@click.option("--batch-size", type=click.IntRange(1), default=1000, show_default=True)
def extract_command(rows: str, engines: str, pg_url: str | None, batch_size: int) -> None:
    """Rows per second and peak memory reading a dossier table through the adapters.

    \b
    Example:
        hopnhat bench extract --rows 100000,1000000 --engines sqlite,postgresql --pg postgresql://me@localhost/bench
    """
    from adapters import bench

    sizes = [int(r) for r in rows.split(",") if r.strip()]
    names = [e.strip() for e in engines.split(",") if e.strip()]
    if "postgresql" in names and not pg_url:
        raise click.UsageError("the PostgreSQL benchmark needs --pg URL (or HOPNHAT_BENCH_PG_URL)")
    click.echo(bench.render([]))
    results = bench.run(names, sizes, pg_url=pg_url, batch_size=batch_size,
                        progress=lambda r: click.echo(bench.render([r]).splitlines()[1]))
    click.echo(f"{len(results)} measurement(s); growth is the extracting process's memory increase")


@bench_group.command("reconcile")
@click.option("--dossiers", type=click.IntRange(1), default=100_000, show_default=True,
              help="Dossiers in the benchmark portal.")
@click.option("--pg", "pg_url", envvar="HOPNHAT_BENCH_PG_URL", default=None, metavar="URL",
              help="Empty PostgreSQL database for the store (default: SQLite in a temporary folder).")
@click.option("--sqlite", "use_sqlite", is_flag=True, help="Use an SQLite store (the default without --pg).")
@click.option("--keep", type=click.Path(file_okay=False), default=None, help="Keep the portal, store and report here.")
def reconcile_command(dossiers: int, pg_url: str | None, use_sqlite: bool, keep: str | None) -> None:
    """Seconds to reconcile N migrated dossiers, and the ratio to a plain full scan of source and store.

    \b
    Example:
        hopnhat bench reconcile --dossiers 1000000 --pg postgresql+psycopg://me@localhost/bench
    """
    from pathlib import Path

    from reconciliation import bench

    if pg_url and use_sqlite:
        raise click.UsageError("choose --pg URL or --sqlite, not both")
    result = bench.run(dossiers, pg_url=pg_url, work_dir=Path(keep) if keep else None,
                       echo=lambda line: click.echo(line, err=True))
    click.echo(result.summary())


bench_group.add_command(load_command)
