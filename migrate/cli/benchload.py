"""``hopnhat bench load``: the pipeline's loading speed next to a raw COPY of the same rows."""

from __future__ import annotations

import click

from migrate.cli import speech
from migrate.core.messages import msg


@click.command("load")
@click.option("--dossiers", type=click.IntRange(1), default=100_000, show_default=True,
              help="Dossiers in the generated portal (accounts come with them).")
@click.option("--pg", "pg_url", envvar="HOPNHAT_BENCH_PG_URL", default=None, metavar="URL",
              help="PostgreSQL server to load into; a new database is created and dropped "
                   "(env HOPNHAT_BENCH_PG_URL).")
@click.option("--batch-size", type=click.IntRange(1), default=5000, show_default=True)
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True)
@click.option("--keep", is_flag=True, help="Keep the benchmark database.")
@click.option("--wide", is_flag=True,
              help="Load a generated 30-column dossier table (~1 KB a row) of --rows rows instead of a portal.")
@click.option("--rows", type=click.IntRange(1), default=100_000, show_default=True, help="Rows of the --wide table.")
@click.option("--delta-share", type=click.FloatRange(0, 1, min_open=True), default=None, metavar="SHARE",
              help="With --wide: then modify, add and delete this share of the rows (0.01 = 1%) and time the "
                   "run over the changed source.")
@click.option("--unsettled", is_flag=True,
              help="With --delta-share: time the delta at once after the full load, without the VACUUM "
                   "ANALYZE that settles the store first (as the days before a cutover do).")
def load_command(dossiers: int, pg_url: str | None, batch_size: int, workers: int, keep: bool, wide: bool,
                 rows: int, delta_share: float | None, unsettled: bool) -> None:
    """Rows per second loading into PostgreSQL next to a raw COPY of the same rows, and peak memory.

    \b
    Example:
        hopnhat bench load --dossiers 1000000 --pg postgresql+psycopg://me@localhost/postgres
        hopnhat bench load --wide --rows 1000000 --delta-share 0.01 --pg postgresql+psycopg://me@localhost/postgres
    """
    import tempfile
    from pathlib import Path

    from migrate.bench.load import bench_load
    from migrate.bench.wide import bench_wide

    if not pg_url:
        raise click.UsageError(speech.text(msg("the load benchmark needs --pg URL (or HOPNHAT_BENCH_PG_URL)")))
    if delta_share is not None and not wide:
        raise click.UsageError(speech.text(msg("--delta-share goes with --wide")))
    if unsettled and delta_share is None:
        raise click.UsageError(speech.text(msg("--unsettled goes with --delta-share")))
    with tempfile.TemporaryDirectory(prefix="hopnhat-bench-load-") as scratch:
        if wide:
            click.echo(bench_wide(pg_url, rows, Path(scratch), batch_size=batch_size, workers=workers,
                                  delta_share=delta_share, keep=keep, settle=not unsettled).summary(speech.current()))
            return
        result = bench_load(pg_url, dossiers, Path(scratch), batch_size=batch_size, workers=workers, keep=keep)
    click.echo(result.summary(speech.current()))
