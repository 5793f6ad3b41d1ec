"""``hopnhat map ...``: look up the official table and resolve addresses from the shell."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mappings import review, review_store, summary
from mappings.rules import Resolver
from mappings.split_rules import SplitRules
from mappings.units import UnitTable
from migrate.cli import speech
from migrate.core.errors import HopnhatError
from migrate.core.messages import msg


def _resolver(split_rules: str | None, decisions: str | None, default_part_policy: bool) -> Resolver:
    table = UnitTable.load()
    rules = SplitRules.load(split_rules, table) if split_rules else None
    manual = review.load_decisions(decisions) if decisions else None
    return Resolver(table, split_rules=rules, manual=manual, default_part_policy=default_part_policy)


def store_option(func):
    """``--store URL`` as in the other commands (env HOPNHAT_STORE_URL)."""
    return click.option("--store", envvar="HOPNHAT_STORE_URL", default=None, metavar="URL",
                        help="Unified store URL (default: env HOPNHAT_STORE_URL, else sqlite:///hopnhat.sqlite).")(func)


def resolver_options(func):
    """Shared flags: province split rules, imported decisions, default-part policy."""
    func = click.option("--default-part-policy", is_flag=True,
                        help="Send split communes without a rule to the province's default part.")(func)
    func = click.option("--decisions", type=click.Path(exists=True, dir_okay=False),
                        help="Manual decisions imported with 'hopnhat map review import'.")(func)
    func = click.option("--split-rules", type=click.Path(exists=True, dir_okay=False),
                        help="Province split-rule CSV (hamlet/street lists per split commune).")(func)
    return func


@click.group("map")
def map_group() -> None:
    """Remap old units (before 1 July 2025) to the new communes and provinces.

    \b
    Example:
        hopnhat map address "P.5, Q.3, TP.HCM"
        hopnhat map review export --store sqlite:///hopnhat.sqlite review.xlsx
    """


@map_group.command("address")
@click.argument("address", required=False)
@click.option("--explain", is_flag=True, help="Append the rule, score and reason to each line.")
@resolver_options
def address_command(address: str | None, explain: bool, split_rules: str | None, decisions: str | None,
                    default_part_policy: bool) -> None:
    """Resolve legacy addresses: one argument, or one address per line on stdin.

    Prints one line per address, in input order: the new commune and the new province
    separated by '|', or a line starting with ERROR and the reason.

    Example:
        hopnhat map address "Xóm 3, xã Yên Khánh, huyện Ý Yên, tỉnh Nam Định"
        printf 'P.5, Q.5, TP.HCM\\nPhường Phúc Xá, Ba Đình, Hà Nội\\n' | hopnhat map address
    """
    resolver = _resolver(split_rules, decisions, default_part_policy)
    lines = [address] if address is not None else sys.stdin
    for line in summary.map_addresses(resolver, lines, explain=explain):
        speech.echo(line)


@map_group.command("code")
@click.argument("code")
def code_command(code: str) -> None:
    """Show where an old commune code went (all parts of a split commune).

    Example:
        hopnhat map code 00016
        hopnhat map code district:755
    """
    lines = summary.code_lines(UnitTable.load(), code)
    for line in lines:
        speech.echo(line)
    if lines[0].startswith("ERROR"):
        raise HopnhatError(msg("old code {code} is not in the official table (see above); "
                               "find the unit by name: hopnhat map address ADDRESS", code=repr(code)))


@map_group.command("stats")
@click.option("--province", "province", required=True, help="Province code (old, or new with --new).")
@click.option("--new", "new", is_flag=True, help="The code is one of the 34 new provinces.")
def stats_command(province: str, new: bool) -> None:
    """Count a province's old communes that merge, split or stay.

    Example:
        hopnhat map stats --province 36
        hopnhat map stats --province 37 --new
    """
    for line in summary.province_stats(UnitTable.load(), province, new=new).lines():
        speech.echo(line)


@map_group.group("review")
def review_group() -> None:
    """Round-trip the remap review queue through a CSV or XLSX file.

    \b
    Example:
        hopnhat map review export --store sqlite:///hopnhat.sqlite review.xlsx
        hopnhat map review import review.xlsx --store sqlite:///hopnhat.sqlite --by "Nguyễn Văn A"
    """


@review_group.command("export")
@click.argument("paths", nargs=-1, required=True, metavar="[QUEUE.csv] OUT.csv|OUT.xlsx")
@store_option
@resolver_options
def review_export_command(paths: tuple[str, ...], store: str | None, split_rules: str | None,
                          decisions: str | None, default_part_policy: bool) -> None:
    """Write the open remap review items of the store, one row per reference, to a reviewer file.

    One row covers every record with the same reference (ref_key), with the number of records,
    the old codes and address, the reason and the candidate new communes with their names.
    With two paths, the first is a pipeline queue CSV read instead of the store.

    \b
    Example:
        hopnhat map review export --store sqlite:///hopnhat.sqlite review.xlsx
        hopnhat map review export review-queue.csv review.xlsx
    """
    if len(paths) == 2:
        resolver = _resolver(split_rules, decisions, default_part_policy)
        count = review.export_review(summary.review_rows_from_csv(paths[0], resolver), paths[1], speech.current())
    elif len(paths) == 1:
        count = review_store.export_open(_store(store), UnitTable.load(), paths[0], speech.current())
    else:
        raise click.UsageError(speech.text(msg("Give OUT.csv|OUT.xlsx (store queue), or QUEUE.csv OUT (file queue).")))
    out = Path(paths[-1]).name
    speech.echo(msg("{n} unresolved reference(s) written to {file}; fill in decision_new_commune "
                    "(and decided_by), then: hopnhat map review import {file}", n=count, file=out))


@review_group.command("import")
@click.argument("reviewed", type=click.Path(exists=True, dir_okay=False))
@store_option
@click.option("--by", "decided_by", default=None, help="Reviewer name for rows whose decided_by is empty.")
@click.option("--decisions", "out", default=None, type=click.Path(dir_okay=False),
              help="Store the decisions in this CSV file instead of the store.")
def review_import_command(reviewed: str, store: str | None, decided_by: str | None, out: str | None) -> None:
    """Validate a filled-in review file and record its decisions (they apply on the next run as 'manual').

    Every problem is listed as "row N, field F: reason" and nothing is written until the file
    is clean. Without --decisions the decisions go into the store's review_item table.

    \b
    Example:
        hopnhat map review import review.xlsx --store sqlite:///hopnhat.sqlite --by "Nguyễn Văn A"
        hopnhat map review import review.xlsx --decisions review-decisions.csv
    """
    if out is not None:
        count = review.write_decisions(review.import_decisions(reviewed, UnitTable.load()), out)
        speech.echo(msg("{n} decision(s) stored in {file}; they apply on the next run as rule 'manual'.", n=count,
                        file=Path(out).name))
        return
    result = review_store.import_decisions(_store(store), UnitTable.load(), reviewed, decided_by=decided_by)
    speech.echo(result.summary())


def _store(url: str | None):
    from migrate.cli.options import load_settings
    from migrate.pipeline import open_store

    return open_store(load_settings(store=url))


@map_group.group("agencies")
def agencies_group() -> None:
    """The province's agency and procedure remap table.

    \b
    Example:
        hopnhat map agencies check remaps.csv --kind agency --source-codes 000.00.21.H40,000.00.11.H40
    """


@agencies_group.command("check")
@click.argument("table_csv", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(["agency", "procedure"]), default="agency", show_default=True)
@click.option("--source-codes", "codes", default="", help="Comma-separated codes found in the legacy data.")
@click.option("--codes-file", type=click.Path(exists=True, dir_okay=False),
              help="A file with one legacy code per line (alternative to --source-codes).")
def agencies_check_command(table_csv: str, kind: str, codes: str, codes_file: str | None) -> None:
    """Validate a remap table and list the legacy codes it does not map (exit 1 when some are unmapped).

    \b
    Example:
        hopnhat map agencies check remaps.csv --kind procedure --codes-file procedure-codes.txt
    """
    from mappings.agencies import RemapTable

    found = [c for c in codes.split(",")] + (Path(codes_file).read_text("utf-8").splitlines() if codes_file else [])
    report = RemapTable.load(table_csv).check(kind, found)  # type: ignore[arg-type]
    speech.echo(report.summary())
    if not report.complete:
        raise HopnhatError(msg("{table} leaves legacy codes unmapped (listed above): add a row for each, "
                               "then hopnhat map agencies check {table} again", table=table_csv))
