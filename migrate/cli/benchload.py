"""``hopnhat bench load``: the pipeline's loading speed next to a raw COPY of the same rows."""

from __future__ import annotations

import click


@click.command("load")
@click.option("--dossiers", type=click.IntRange(1), default=100_000, show_default=True,
              help="Dossiers in the generated portal (accounts come with them).")
@click.option("--pg", "pg_url", envvar="HOPNHAT_BENCH_PG_URL", default=None, metavar="URL",
              help="PostgreSQL server to load into; a new database is created and dropped "
                   "(env HOPNHAT_BENCH_PG_URL).")
@click.option("--batch-size", type=click.IntRange(1), default=5000, show_default=True)
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True)
@click.option("--keep", is_flag=True, help="Keep the benchmark database.")
def load_command(dossiers: int, pg_url: str | None, batch_size: int, workers: int, keep: bool) -> None:
    """Rows per second loading a generated portal into PostgreSQL, raw COPY rate, peak memory.

    \b
    Example:
        hopnhat bench load --dossiers 1000000 --pg postgresql+psycopg://me@localhost/postgres
    """
    import tempfile
    from pathlib import Path

    from migrate.bench.load import bench_load

    if not pg_url:
        raise click.UsageError("the load benchmark needs --pg URL (or HOPNHAT_BENCH_PG_URL)")
    with tempfile.TemporaryDirectory(prefix="hopnhat-bench-load-") as scratch:
        result = bench_load(pg_url, dossiers, Path(scratch), batch_size=batch_size, workers=workers, keep=keep)
    click.echo(result.summary())
