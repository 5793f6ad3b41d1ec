"""The continuity export: files the new provincial system or the national portal loads.

- ``identifiers.csv`` / ``identifiers.json``: one row per old identifier, with
  its source, new record, new commune and whether it is ambiguous;
- ``redirects.csv`` and ``redirects.nginx.map``: old tracking-page (and
  attachment) URLs to the new ones, from the configured templates;
- ``accounts.csv``: every old username -> merged account, with the password
  scheme (hashes only with ``include_hashes``);
- ``accounts-reset.csv``: accounts whose scheme the new system cannot verify.

Personal identifiers are masked unless ``unmask`` is set. Every file is written
while streaming the index in chunks, so memory stays flat.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, String, cast, func, literal, select, tuple_

from migrate.continuity.accounts import ACCOUNT_COLUMNS, RESET_COLUMNS, old_accounts
from migrate.continuity.config import ContinuityConfig
from migrate.continuity.identifiers import UNIQUE_KINDS, mask, normalize
from migrate.continuity.index import is_built
from migrate.continuity.lookup import NUMBERED_TABLES, Match, resolve
from migrate.continuity.redirects import NGINX_HEADER, REDIRECT_COLUMNS, driving_kind, redirect
from migrate.core.errors import StoreError
from migrate.core.i18n import Language, language
from migrate.core.messages import msg, say
from migrate.core.progress import Progress, Tally
from migrate.core.tables import TableWriter
from migrate.store.models import old_identifier

IDENTIFIER_COLUMNS = ("kind", "old_value", "source_system", "source_table", "source_key", "state", "new_table",
                      "new_id", "new_dossier_id", "new_commune_code", "new_commune_name", "matches", "ambiguous")
CHUNK = 5000


@dataclass(frozen=True)
class ExportReport:
    out_dir: Path
    rows: dict[str, int]  # file name -> rows written
    ambiguous: Counter = field(default_factory=Counter)  # kind -> ambiguous identifiers
    quarantined: int = 0
    seconds: float = 0.0
    masked: bool = True

    def summary(self, lang: Language | None = None) -> str:
        """What ``hopnhat continuity export`` prints, in ``lang`` (English by default); file names as written."""
        lang = lang or language()
        lines = [say(msg("Continuity export in {folder} ({seconds}s)", folder=str(self.out_dir),
                         seconds=round(self.seconds, 1)), lang)]
        lines += [f"  {name:<22}" + say(msg("{n} rows", n=format(lang.number(n), ">10")), lang)
                  for name, n in self.rows.items()]
        if self.ambiguous:
            lines.append(say(msg("  ambiguous (listed, not picked): {kinds}", kinds=", ".join(
                f"{k} {lang.number(n)}" for k, n in sorted(self.ambiguous.items()))), lang))
        if self.quarantined:
            lines.append(say(msg("  {n} identifier(s) of quarantined records: listed with no new record",
                                 n=self.quarantined), lang))
        if self.masked:
            lines.append(say(msg("  personal identifiers are masked; --unmask writes them for the new system to "
                                 "load"), lang))
        return "\n".join(lines)


def target_key():
    """One text naming the record an identifier resolves to (new record, else its source record)."""
    o = old_identifier.c
    return func.coalesce(o.target_table + literal(":") + cast(o.target_id, String),
                         o.source_system + literal("/") + o.source_table + literal("/") + o.source_key)


def ambiguous_identifiers(conn: Connection, *, per_source: bool = False) -> dict[tuple, int]:
    """(kind, normalized) -> records sharing it, for identifiers naming more than one record.

    Across sources for identifiers meant to be unique everywhere (and applicant
    ID numbers, to count their dossiers); ``per_source`` for old links, which
    name their portal.
    """
    o = old_identifier.c
    group = (o.source_system, o.kind, o.normalized) if per_source else (o.kind, o.normalized)
    n = func.count(func.distinct(target_key()))
    stmt = select(*group, n).group_by(*group).having(n > 1)
    if not per_source:
        stmt = stmt.where(o.kind.in_(sorted(UNIQUE_KINDS | {"applicant-id-number"})))
    return {tuple(r[:-1]): int(r[-1]) for r in conn.execute(stmt)}


def export(store: Engine, out_dir: Path, config: ContinuityConfig, *, unmask: bool = False,
           include_hashes: bool = False, progress: Progress | None = None) -> ExportReport:
    started = time.monotonic()
    with store.connect() as conn:
        if not is_built(conn):
            raise StoreError(msg("The continuity index is empty; build it first: hopnhat continuity index --store URL"))
        shared = ambiguous_identifiers(conn)
        shared_in_source = ambiguous_identifiers(conn, per_source=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: Counter = Counter()
    ambiguous: Counter = Counter()
    quarantined = 0
    with ExitStack() as files:
        ids = _csv(files, out_dir / "identifiers.csv", IDENTIFIER_COLUMNS)
        js = files.enter_context(open(out_dir / "identifiers.json", "w", encoding="utf-8"))
        redirects = _csv(files, out_dir / "redirects.csv", REDIRECT_COLUMNS)
        nginx = files.enter_context(open(out_dir / "redirects.nginx.map", "w", encoding="utf-8"))
        nginx.write(NGINX_HEADER)
        js.write("[")
        exported = Tally(progress, "exporting", "store", "identifiers").start()
        for chunk in _chunks(store):
            for m in chunk:
                matches = shared.get((m.kind, _norm(m)), 1)
                row = _identifier_row(m, matches, unmask)
                ids.write(row)
                js.write(("," if rows["identifiers.csv"] else "") + "\n" + json.dumps(row, ensure_ascii=False))
                rows["identifiers.csv"] += 1
                ambiguous[m.kind] += matches > 1 and m.kind in UNIQUE_KINDS
                quarantined += m.target_id is None
                links = config.links.get(m.source_system)
                templates = driving_kind(links).get(m.kind) if links else None
                if templates:
                    r = redirect(m, *templates, ambiguous=(m.source_system, m.kind, _norm(m)) in shared_in_source)
                    redirects.write(r.row())
                    rows["redirects.csv"] += 1
                    line = r.nginx_line()
                    if line:
                        nginx.write(line + "\n")
                        rows["redirects.nginx.map"] += 1
            exported.add(len(chunk))
        js.write("\n]\n")
        rows["identifiers.json"] = rows["identifiers.csv"]
        columns = ACCOUNT_COLUMNS + (("password_hash",) if include_hashes else ())
        accounts = _csv(files, out_dir / "accounts.csv", columns)
        resets = _csv(files, out_dir / "accounts-reset.csv", RESET_COLUMNS)
        ambiguous_usernames = {norm for kind, norm in shared if kind == "username"}
        for a in old_accounts(store, verifiable=config.verifiable, ambiguous=ambiguous_usernames.__contains__):
            accounts.write(a.row(unmask=unmask, with_hash=include_hashes))
            rows["accounts.csv"] += 1
            if a.reset_reason:
                resets.write(a.reset_row(unmask=unmask))
                rows["accounts-reset.csv"] += 1
    order = ("identifiers.csv", "identifiers.json", "redirects.csv", "redirects.nginx.map", "accounts.csv",
             "accounts-reset.csv")
    return ExportReport(out_dir, {name: rows[name] for name in order}, Counter({k: n for k, n in ambiguous.items() if n}),
                        quarantined, time.monotonic() - started, not unmask)


def _norm(m: Match) -> str:
    return normalize(m.value)


def _chunks(store: Engine):
    """The index in its key's order (its records' lineage order), a chunk at a time."""
    o = old_identifier.c
    key = tuple_(o.lineage_id, o.kind)
    last: tuple | None = None
    while True:
        with store.connect() as conn:
            stmt = select(old_identifier).order_by(o.lineage_id, o.kind).limit(CHUNK)
            rows = conn.execute(stmt if last is None else stmt.where(key > tuple_(*last))).all()
            if not rows:
                return
            matches = resolve(conn, rows)
        last = (rows[-1].lineage_id, rows[-1].kind)
        yield matches


def _identifier_row(m: Match, matches: int, unmask: bool) -> dict:
    """One identifier; None is an empty CSV cell and a JSON null."""
    return {"kind": m.kind, "old_value": m.value if unmask else mask(m.kind, m.value),
            "source_system": m.source_system, "source_table": m.source_table, "source_key": m.source_key,
            "state": m.state, "new_table": m.target_table, "new_id": m.target_id,
            "new_dossier_id": m.dossier_id or (m.target_id if m.target_table in NUMBERED_TABLES else None),
            "new_commune_code": m.new_commune_code, "new_commune_name": m.new_commune_name,
            "matches": matches, "ambiguous": "yes" if matches > 1 and m.kind in UNIQUE_KINDS else "no"}


def _csv(files: ExitStack, path: Path, columns: tuple[str, ...]) -> TableWriter:
    return files.enter_context(TableWriter(path, columns))
