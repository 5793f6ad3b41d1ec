"""``hopnhat map ...``: look up the official table and resolve addresses from the shell."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mappings import review, summary
from mappings.rules import Resolver
from mappings.split_rules import SplitRules
from mappings.units import UnitTable


def _resolver(split_rules: str | None, decisions: str | None, default_part_policy: bool) -> Resolver:
    table = UnitTable.load()
    rules = SplitRules.load(split_rules, table) if split_rules else None
    manual = review.load_decisions(decisions) if decisions else None
    return Resolver(table, split_rules=rules, manual=manual, default_part_policy=default_part_policy)


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
    """Remap old units (before 1 July 2025) to the new communes and provinces."""


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
        click.echo(line)


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
        click.echo(line)
    if lines[0].startswith("ERROR"):
        sys.exit(1)


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
        click.echo(line)


@map_group.group("review")
def review_group() -> None:
    """Round-trip the review queue through a CSV or XLSX file."""


@review_group.command("export")
@click.argument("queue", type=click.Path(exists=True, dir_okay=False))
@click.argument("output", type=click.Path(dir_okay=False))
@resolver_options
def review_export_command(queue: str, output: str, split_rules: str | None, decisions: str | None,
                          default_part_policy: bool) -> None:
    """Write the unresolved references of a pipeline queue CSV to a reviewer file (.csv/.xlsx).

    Example:
        hopnhat map review export review-queue.csv review.xlsx
    """
    resolver = _resolver(split_rules, decisions, default_part_policy)
    count = review.export_review(summary.review_rows_from_csv(queue, resolver), output)
    click.echo(f"{count} unresolved reference(s) written to {Path(output).name}; fill in "
               "decision_new_commune, then: hopnhat map review import " + Path(output).name)


@review_group.command("import")
@click.argument("reviewed", type=click.Path(exists=True, dir_okay=False))
@click.option("--decisions", "out", default="review-decisions.csv", show_default=True,
              type=click.Path(dir_okay=False), help="Where the validated decisions are stored.")
def review_import_command(reviewed: str, out: str) -> None:
    """Validate a filled-in review file and store its decisions for the next run (rule: manual).

    Example:
        hopnhat map review import review.xlsx --decisions review-decisions.csv
    """
    decisions = review.import_decisions(reviewed, UnitTable.load())
    count = review.write_decisions(decisions, out)
    click.echo(f"{count} decision(s) stored in {Path(out).name}; they apply on the next run as rule 'manual'.")
