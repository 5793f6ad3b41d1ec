"""``hopnhat bench``: throughput and memory measurements."""

from __future__ import annotations

import click

from migrate.cli import speech
from migrate.cli.benchload import load_command
from migrate.core.errors import CheckFailed, HopnhatError
from migrate.core.messages import msg


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
    from migrate.bench import extract as bench

    try:
        sizes, names = bench.parse_plan(rows, engines)
    except ValueError as exc:
        raise click.UsageError(speech.text(exc.args[0])) from exc
    if "postgresql" in names and not pg_url:
        raise click.UsageError(speech.text(msg("the PostgreSQL benchmark needs --pg URL (or HOPNHAT_BENCH_PG_URL)")))
    lang = speech.current()
    click.echo(bench.render([], lang))
    results = bench.run(names, sizes, pg_url=pg_url, batch_size=batch_size,
                        progress=lambda r: click.echo(bench.render([r], lang).splitlines()[1]))
    speech.echo(msg("{count} measurement(s); growth is the extracting process's memory increase",
                    count=len(results)))


@bench_group.command("reconcile")
@click.option("--dossiers", type=click.IntRange(1), default=100_000, show_default=True,
              help="Dossiers in the benchmark portal.")
@click.option("--pg", "pg_url", envvar="HOPNHAT_BENCH_PG_URL", default=None, metavar="URL",
              help="Empty PostgreSQL database for the store (default: SQLite in a temporary folder).")
@click.option("--sqlite", "use_sqlite", is_flag=True, help="Use an SQLite store (the default without --pg).")
@click.option("--keep", type=click.Path(file_okay=False), default=None, help="Keep the portal, store and report here.")
def reconcile_command(dossiers: int, pg_url: str | None, use_sqlite: bool, keep: str | None) -> None:
    """Seconds to reconcile N migrated dossiers, and the ratio to a plain full read of source and store.

    \b
    Example:
        hopnhat bench reconcile --dossiers 1000000 --pg postgresql+psycopg://me@localhost/bench
    """
    from pathlib import Path

    from migrate.bench import reconcile as bench

    if pg_url and use_sqlite:
        raise click.UsageError(speech.text(msg("choose --pg URL or --sqlite, not both")))
    result = bench.run(dossiers, pg_url=pg_url, work_dir=Path(keep) if keep else None,
                       echo=lambda line: click.echo(line, err=True), lang=speech.current())
    click.echo(result.summary(speech.current()))
    if not result.ok:
        where = (msg("see the report in {folder}", folder=str(Path(keep) / "report")) if keep
                 else msg("rerun with --keep DIR to keep the report"))
        raise CheckFailed(msg("hopnhat bench reconcile: the reconciliation of the benchmark store FAILED, so its "
                              "time is not that of a clean reconciliation; {where}", where=where))


bench_group.add_command(load_command)



@bench_group.command("portals")
@click.option("--scale", type=click.IntRange(1), default=100_000, show_default=True, help="Dossiers per portal.")
@click.option("--seed", type=int, default=2025, show_default=True)
@click.option("--portal", type=click.Choice(["hanam", "namdinh", "ninhbinh"]), default="hanam", show_default=True)
@click.option("--files", is_flag=True, help="Also write the attachment files (slower).")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Keep the portal here.")
def portals_command(scale: int, seed: int, portal: str, files: bool, out: str | None) -> None:
    """Rows per second and peak memory building one demo legacy portal.

    \b
    Example:
        hopnhat bench portals --scale 1000000 --portal namdinh --files
    """
    from migrate.bench import portals

    argv = ["--scale", str(scale), "--seed", str(seed), "--portal", portal]
    argv += ["--files"] * files + (["--out", out] if out else [])
    _exit_code(portals.main(argv, speech.current()), "hopnhat bench portals")


@bench_group.command("addresses")
@click.option("--sample", type=click.IntRange(1), default=None, help="Old units in the generated set (default: all).")
@click.option("--seed", type=int, default=7, show_default=True)
def addresses_command(sample: int | None, seed: int) -> None:
    """Address resolution: right, review and wrong answers and speed, per kind (also python -m mappings.bench).

    \b
    Example:
        hopnhat bench addresses --sample 2000
    """
    from mappings import bench

    _exit_code(bench.main((["--sample", str(sample)] if sample else []) + ["--seed", str(seed)], speech.current()),
               "hopnhat bench addresses")


@bench_group.command("remap")
@click.option("--records", type=click.IntRange(1000), default=200_000, show_default=True,
              help="Records remapped (each with its own address).")
def remap_command(records: int) -> None:
    """Code remap per CPU second: the code lookup alone, resolve, and record to decision as a batch does it.

    \b
    Example:
        hopnhat bench remap --records 1000000
    """
    from migrate.bench import remap

    result = remap.run(records)
    click.echo(result.summary(speech.current()))
    if not result.agree:
        raise HopnhatError(msg("hopnhat bench remap: a code lookup disagreed with the full rules (see above)"))


def _exit_code(code: int, command: str) -> None:
    if code:
        raise HopnhatError(msg("{command} ended with code {code} (see above)", command=command, code=str(code)))
