"""``hopnhat batches`` and ``hopnhat quarantine``: the ledger operators read at 2 a.m."""

from __future__ import annotations

import click

from migrate import reasons
from migrate.cli import speech
from migrate.cli.options import json_option, store_option, load_settings
from migrate.cli.progress import display
from migrate.core.errors import HopnhatError
from migrate.core.messages import msg, say


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
@click.option("--run", "run_id", type=int, default=None, help="Only this run.")
@json_option
def list_command(store: str | None, state: str | None, source: str | None, run_id: int | None,
                 as_json: bool) -> None:
    """One line per batch: id, source/entity, key range, state, attempts, counts, worker.

    \b
    Example:
        hopnhat batches list --state failed --store sqlite:///hopnhat.sqlite
        hopnhat batches list --json
    """
    from migrate import ledger
    from migrate.pipeline import open_store

    engine = open_store(load_settings(store=store))
    with engine.connect() as conn:
        rows = ledger.listing(conn, state=state, source=source, run_id=run_id)
    if as_json:
        from migrate.cli import jsonout

        return jsonout.emit(jsonout.batches(rows))
    lang = speech.current()
    n = lang.number
    head = [say(msg(h), lang) for h in ("id", "source/entity", "keys", "state", "tries", "extr.", "load.", "merg.",
                                         "quar.", "worker")]
    click.echo(f"{head[0]:>6}  {head[1]:<32}{head[2]:<24}{head[3]:<10}{head[4]:>5}{head[5]:>7}{head[6]:>7}"
               f"{head[7]:>6}{head[8]:>6}  {head[9]}")
    for r in rows:
        keys = f"{','.join(map(str, r.key_lo))}..{','.join(map(str, r.key_hi))}"
        c = r.counts
        click.echo(f"{r.id:>6}  {r.source_system + '/' + r.entity:<32}{keys:<24}{r.state:<10}{r.attempts:>5}"
                   f"{n(c.extracted):>7}{n(c.loaded):>7}{n(c.merged):>6}{n(c.quarantined):>6}  {r.worker or '-'}")
    speech.echo(msg("{n} batch(es)", n=len(rows)))


@batches_group.command("show")
@store_option
@click.argument("batch_id", type=int)
@json_option
def show_command(store: str | None, batch_id: int, as_json: bool) -> None:
    """Everything the ledger knows about one batch, with its last error.

    \b
    Example:
        hopnhat batches show 42
    """
    from migrate import ledger
    from migrate.pipeline import open_store

    engine = open_store(load_settings(store=store))
    with engine.connect() as conn:
        (row,) = ledger.require(conn, [batch_id])
    if as_json:
        from migrate.cli import jsonout

        return jsonout.emit(jsonout.batch(row))
    lang = speech.current()
    click.echo(say(row.describe(), lang))
    for name, label in _SHOWN:
        value = getattr(row, name)
        shown = "-" if value is None else lang.datetime(value) if name.endswith("_at") and lang.code != "en" else value
        click.echo(f"  {say(label, lang)}: {shown}")
    c = row.counts
    speech.echo(msg("  counts: extracted {extracted}, loaded {loaded}, merged {merged}, quarantined {quarantined}, "
                    "excluded {excluded}", extracted=c.extracted, loaded=c.loaded, merged=c.merged,
                    quarantined=c.quarantined, excluded=c.excluded))
    if row.error:
        speech.echo(msg("  error: {error}", error=reasons.PHRASEBOOK.recorded(row.error)))


# What ``batches show`` prints of a batch: the ledger's field and its label (the field's name in English).
_SHOWN = (("run_id", msg("run_id")), ("seq", msg("seq")), ("source_table", msg("source_table")),
          ("state", msg("state")), ("attempts", msg("attempts")), ("worker", msg("worker")),
          ("started_at", msg("started_at")), ("finished_at", msg("finished_at")))


@batches_group.command("rerun")
@store_option
@click.argument("targets", nargs=-1, metavar="[BATCH_ID]... [PROFILE]...")
@click.option("--failed", is_flag=True, help="Rerun every failed batch.")
@click.option("--quarantined", is_flag=True, help="Rerun every batch holding records still in quarantine.")
@click.option("--files-dir", type=click.Path(file_okay=False), default=None)
def rerun_command(store: str | None, targets: tuple[str, ...], failed: bool, quarantined: bool,
                  files_dir: str | None) -> None:
    """Re-read batches from their source and load them again (idempotent).

    PROFILES default to the profile files the batches' run was started with;
    source URLs still come from the environment variables the profiles name.
    Batches whose quarantined records waited for a parent loaded here are rerun too.

    \b
    Example:
        hopnhat batches rerun 42
        hopnhat batches rerun --failed
        hopnhat batches rerun --quarantined profiles/hanam.toml
    """
    from migrate import pipeline

    batch_ids, profiles = _split_targets(targets, failed or quarantined)
    if not profiles:
        profiles = pipeline.profiles_for(load_settings(store=store), None if failed or quarantined else batch_ids)
    settings = load_settings(profiles, store=store, files_dir=files_dir)
    with display() as progress:
        rows = pipeline.rerun_selected(settings, batch_ids, failed=failed, quarantined=quarantined,
                                       progress=progress)
    for row in rows:
        speech.echo(reasons.PHRASEBOOK.recorded(row.error) if row.state == "failed" and row.error else
                    msg("{batch}: {state} after {attempts} attempt(s)", batch=row.describe(), state=row.state,
                        attempts=row.attempts))
    left = [r for r in rows if r.state == "failed"]
    speech.echo(msg("{n} batch(es) rerun: {loaded} loaded, {failed} still failed", n=len(rows),
                    loaded=len(rows) - len(left), failed=len(left)))
    if left:
        ids = " ".join(str(r.id) for r in left)
        raise HopnhatError(msg("{n} batch(es) still failed after the rerun: {ids}. The cause is still there: read "
                               "it (hopnhat batches show {first}), fix it, then hopnhat batches rerun {ids}",
                               n=len(left), ids=ids, first=str(left[0].id)))


def _split_targets(targets: tuple[str, ...], selection: bool) -> tuple[list[int], list[str]]:
    """Batch ids are numbers, profiles are files."""
    ids = [int(t) for t in targets if t.isdigit()]
    profiles = [t for t in targets if not t.isdigit()]
    for path in profiles:
        click.Path(exists=True, dir_okay=False).convert(path, None, None)
    if bool(ids) == selection:
        raise click.UsageError(speech.text(msg("name batch ids, or use --failed or --quarantined (one of them)")))
    return ids, profiles


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
@json_option
def quarantine_list(store: str | None, source: str | None, show_all: bool, as_json: bool) -> None:
    """One line per quarantined record: source, table, key, field and reason.

    \b
    Example:
        hopnhat quarantine list --source hanam-portal
    """
    from migrate import quarantine
    from migrate.pipeline import open_store

    with open_store(load_settings(store=store)).connect() as conn:
        rows = quarantine.entries(conn, source=source, include_released=show_all)
    if as_json:
        from migrate.cli import jsonout

        return jsonout.emit(jsonout.quarantine(rows))
    lang = speech.current()
    for entry in rows:
        click.echo(entry.line(lang))
    speech.echo(msg("{n} record(s) in quarantine", n=len(rows)))


@quarantine_group.command("export")
@store_option
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="FILE.csv, FILE.xlsx or FILE.jsonl")
@click.option("--source", default=None, help="Only this source system.")
@click.option("--all", "show_all", is_flag=True, help="Include records released by a later rerun.")
@click.option("--unmask", "unmasked", is_flag=True,
              help="Keep personal data (ID numbers, phones, names, addresses, e-mails) unmasked.")
def quarantine_export(store: str | None, out: str, source: str | None, show_all: bool, unmasked: bool) -> None:
    """Write quarantined records with their raw payloads, field and reason to a file.

    Personal data is masked in payloads and reasons alike unless --unmask: ID
    numbers and phones to their last three digits (also inside free text),
    e-mails to their first letter and domain, and the columns the recorded
    profiles map to names, addresses or birth dates.

    \b
    Example:
        hopnhat quarantine export --out quarantine.xlsx --source hanam-portal
    """
    from migrate import quarantine
    from migrate.pipeline import open_store

    settings = load_settings(store=store)
    with open_store(settings).connect() as conn:
        rows = quarantine.entries(conn, source=source, include_released=show_all)
    count = quarantine.export(rows, out, mask=not unmasked, personal=_personal_columns(settings))
    speech.echo(msg("{n} record(s) written to {file}", n=count, file=out))


def _personal_columns(settings) -> dict[tuple[str, str], frozenset[str]]:
    """The personal legacy columns of the profiles the store's runs recorded (none when they are gone)."""
    from adapters.profiles import load_profile
    from migrate import quarantine
    from migrate.pipeline import profiles_for

    try:
        return quarantine.personal_columns(load_profile(p) for p in profiles_for(settings))
    except HopnhatError:
        return {}
