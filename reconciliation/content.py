"""Content: the hash of every source record, recomputed from the store and from the source.

Inside the store, for every record extracted: its entity row is rebuilt as
the canonical record (``reconciliation.rebuild``) and hashed; the hash must
equal the one stored in the row and the one stored in the lineage when the
record was extracted. A row changed, deleted or added after loading fails
here, named by its source key.

Against the source (when its profile is given): the source is read again
through the profile, each record canonicalised and hashed the way extraction
did, and both sides are compared by segment digests
(``reconciliation.digests``); only differing segments are opened to list the
records, and for a sample of changed records the differing fields are shown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from adapters import open_source
from migrate import deletions
from migrate.core.records import EntitySpec
from migrate.core.canonical import hash_value
from migrate.config import SourceSettings
from migrate.core.entities import ENTITIES, REGISTRY
from migrate.core.errors import HopnhatError
from migrate.core.i18n import Language, language
from migrate.core.messages import N_
from migrate.core.progress import Progress, Tally
from migrate.store.models import source_snapshot
from reconciliation import digests, reread, serverfold, serverhash
from reconciliation.rebuild import StoreRecord, account_parts, entity_tables, orphan_rows, store_records

log = logging.getLogger(__name__)

TICK = 1000  # records between two progress reports
KEEP = 1000  # problems listed per source table (all are counted)
PROBLEMS = {  # a problem's kind (a machine name) and what it means, said where the report shows it
    "row-missing": N_("the lineage says it was loaded, but its row is not in the store"),
    "row-changed": N_("its row no longer matches the hash taken at extraction"),
    "hash-changed": N_("the hash stored in its row differs from the one in the lineage"),
    "alias-changed": N_("its account_alias row holds another hash than the lineage"),
    "alias-missing": N_("the account has no account_alias row"),
    "row-without-lineage": N_("a row in the store that no extracted source record accounts for"),
    "changed": N_("the source record differs from what the store holds"),
    "missing-in-store": N_("in the source, but the store has no trace of it"),
    "not-in-source": N_("in the store, but not in the source"),
}


@dataclass(frozen=True)
class ContentProblem:
    source: str
    entity: str
    table: str
    key: str
    kind: str
    row_id: int | None = None

    def as_dict(self) -> dict:
        return {"source": self.source, "entity": self.entity, "source_table": self.table, "source_key": self.key,
                "problem": self.kind, "meaning": PROBLEMS[self.kind], "store_row_id": self.row_id}

    def line(self, lang: Language | None = None) -> str:
        """``source/entity record KEY (TABLE): kind: what it means``, in ``lang``; the kind stays a machine name."""
        lang = lang or language()
        return lang.gettext("{source}/{entity} record {key} ({table}): {kind}: {meaning}").format(
            source=self.source, entity=self.entity, key=self.key, table=self.table, kind=self.kind,
            meaning=lang.gettext(PROBLEMS[self.kind]))


@dataclass
class TableContent:
    """The content comparison of one source table."""

    source: str
    entity: str
    table: str
    records: int = 0          # lineage rows read
    rows: int = 0             # entity rows rebuilt and hashed
    source_records: int | None = None  # records read from the source (None: not compared)
    segments: int = 0
    differing_segments: int = 0
    problem_counts: dict[str, int] = field(default_factory=dict)
    deleted_in_source: int = 0  # records kept in the store, marked deleted in the source: not compared with it

    @property
    def ok(self) -> bool:
        return not any(self.problem_counts.values())

    def as_dict(self) -> dict:
        compared = self.source_records is not None
        return {"source": self.source, "entity": self.entity, "source_table": self.table,
                "lineage_records": self.records, "rows_rehashed": self.rows,
                "source_records_rehashed": self.source_records if compared else None,
                "segments": self.segments if compared else None,
                "differing_segments": self.differing_segments if compared else None,
                "deleted_in_source": self.deleted_in_source,
                "problems": sum(self.problem_counts.values()),
                "problem_kinds": ", ".join(f"{k} {n}" for k, n in sorted(self.problem_counts.items()) if n),
                "ok": self.ok}


@dataclass
class ContentResult:
    tables_checked: list[TableContent] = field(default_factory=list)
    problems: list[ContentProblem] = field(default_factory=list)
    differences: list[dict] = field(default_factory=list)  # field-level, for a sample of changed records
    notes: list[str] = field(default_factory=list)
    notes_failing: list[str] = field(default_factory=list)  # sources that could not be compared
    compared_with_source: bool = False

    name = "content"

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables_checked) and not self.problems and not self.notes_failing

    def summary_lines(self, lang: Language | None = None) -> list[str]:
        lang = lang or language()
        _ = lang.gettext
        rows = sum(t.rows for t in self.tables_checked)
        total = sum(sum(t.problem_counts.values()) for t in self.tables_checked)
        said = (_("Content matches: {rows} store rows rebuilt and rehashed against the hash taken at extraction; "
                  "{problems} problem(s).") if self.ok else
                _("Content DIFFERS: {rows} store rows rebuilt and rehashed against the hash taken at extraction; "
                  "{problems} problem(s)."))
        lines = [said.format(rows=lang.number(rows), problems=lang.number(total))]
        if self.compared_with_source:
            n = sum(t.source_records or 0 for t in self.tables_checked)
            seg = sum(t.segments for t in self.tables_checked)
            bad = sum(t.differing_segments for t in self.tables_checked)
            lines.append(_("{n} source records read again and hashed; compared by {segments} segment digests, "
                           "{differing} segment(s) differ.").format(n=lang.number(n), segments=lang.number(seg),
                                                                    differing=lang.number(bad)))
        else:
            lines.append(_("Not compared with the sources (pass the profiles to read the sources again)."))
        gone = sum(t.deleted_in_source for t in self.tables_checked)
        if gone:
            lines.append(_("{n} record(s) deleted in the source since they were loaded are kept in the store, "
                           "marked deleted-in-source: rehashed in the store, not looked for in the source.").format(
                n=lang.number(gone)))
        lines += self.notes_failing + self.notes
        lines += [_("DIFFERS") + f" {p.line(lang)}" for p in self.problems[:30]]
        return lines

    def as_dict(self) -> dict:
        return {"ok": self.ok, "compared_with_source": self.compared_with_source,
                "tables": [t.as_dict() for t in self.tables_checked],
                "problems": [p.as_dict() for p in self.problems], "field_differences": self.differences,
                "notes": self.notes_failing + self.notes}

    def tables(self) -> dict[str, list[dict]]:
        return {"content": [t.as_dict() for t in self.tables_checked],
                "content-problems": [p.as_dict() for p in self.problems],
                "content-field-differences": self.differences}

    def add(self, table: TableContent, problem: ContentProblem) -> None:
        table.problem_counts[problem.kind] = table.problem_counts.get(problem.kind, 0) + 1
        if table.problem_counts[problem.kind] <= KEEP:
            self.problems.append(problem)


def content(conn: Connection, sources: Sequence[SourceSettings] = (), *, source: str | None = None,
            sample: int = 20, progress: Progress | None = None, workers: int | None = None) -> ContentResult:
    """Rehash every record in the store; with ``sources``, compare with the sources read again.

    ``workers``: processes reading a large part of a source again (default: one per core, see
    :mod:`reconciliation.reread`).

    ``progress`` hears "rehashing" (store rows) and "re-reading" (source records) per source part.
    """
    result = ContentResult(compared_with_source=bool(sources))
    names = [s for (s,) in conn.execute(select(source_snapshot.c.source_system).distinct()) if not source or s == source]
    orphans: dict[tuple[str, str, str], list[tuple[str, int]]] = {}
    for entity in ENTITIES:
        for src, table, key, row_id in orphan_rows(conn, entity):
            if not source or src == source:
                orphans.setdefault((src, table, entity), []).append((key, row_id))
    by_name = {s.name: s for s in sources}
    for missing in sorted(set(by_name) - set(names)):
        result.notes_failing.append(f"source {missing}: a profile was given but the store holds nothing of it")
    for name in sorted(names):
        settings = by_name.get(name)
        if sources and settings is None:
            result.notes_failing.append(f"source {name}: in the store, but no profile given; not compared")
        tables = entity_tables(conn, name)
        reader = None
        if settings is not None:
            try:
                reader = reread.Rereader(name, settings.url, open_source(name, settings.url), workers=workers)
            except HopnhatError as exc:
                result.notes_failing.append(f"source {name}: cannot be read: {exc}")
        try:
            with serverhash.same_snapshot(conn) if reader is not None else nullcontext() as beside:
                _tables(conn, result, name, tables, settings, reader, sample, progress, orphans, beside)
        finally:
            if reader is not None:
                reader.close()
                reader.adapter.close()
    for (src, table, entity), rows in sorted(orphans.items()):  # rows of tables no snapshot names
        holder = TableContent(src, entity, table)
        result.tables_checked.append(holder)
        for key, row_id in rows:
            result.add(holder, ContentProblem(src, entity, table, key, "row-without-lineage", row_id))
    return result


def _tables(conn: Connection, result: ContentResult, name: str, tables: dict[str, list[str]],
            settings: SourceSettings | None, reader: reread.Rereader | None, sample: int, progress: Progress | None,
            orphans: dict[tuple[str, str, str], list[tuple[str, int]]], beside: Connection | None) -> None:
    """Every table of one source, in the registry's order; ``beside`` reads the store's side of each."""
    for entity in ENTITIES:
        for table in tables.get(entity, []):
            link = REGISTRY[entity].parent
            parent_table = (account_parts(conn, name) if link and REGISTRY[link.entity].merges
                            else tables.get(link.entity, [None])[0] if link else None)
            spec = _spec(settings, entity, table) if reader is not None else None
            if reader is not None and spec is None:
                result.notes_failing.append(f"{name}/{entity}: the profile has no part reading {table}")
            part = entity if len(tables[entity]) == 1 else f"{entity} ({table})"
            _table(conn, result, TableContent(name, entity, table), parent_table, reader, spec,
                   sample, (progress, part), orphans.pop((name, table, entity), []), beside)


def _spec(settings: SourceSettings | None, entity: str, table: str) -> EntitySpec | None:
    if settings is None:
        return None
    return next((s for s in settings.profile.entities.values() if s.name == entity and s.table == table), None)


def _table(conn: Connection, result: ContentResult, t: TableContent, parent_table, reader: reread.Rereader | None,
           spec: EntitySpec | None, sample: int, progress: tuple[Progress | None, str],
           orphans: list[tuple[str, int]], beside: Connection | None = None) -> None:
    result.tables_checked.append(t)
    compare = reader is not None and spec is not None
    expected = _expected(conn, t)
    width = digests.segment_width(expected)
    store_side = digests.Segments(width)
    rehashed = Tally(progress[0], "rehashing", t.source, progress[1], expected).start()

    def stored() -> Iterator[StoreRecord]:
        return store_records(conn, t.source, t.table, t.entity, parent_table=parent_table)

    gone = set(deletions.keys(conn, t.source, t.table))  # as many as the source deleted since loading
    t.deleted_in_source = len(gone)

    def check(rec: StoreRecord) -> None:
        t.records += 1
        _check_inside(result, t, rec)
        if compare and rec.source_key not in gone:
            store_side.add(rec.source_key, rec.digest_value)
        if t.records % TICK == 0:
            rehashed.set(t.records)

    def rehash(store: Connection) -> None:
        # the records the store's server confirms are counted and folded there (serverfold), or at least
        # hashed there (serverhash): not rebuilt here
        if serverfold.available(store):
            folded = serverfold.fold(store, t.source, t.table, t.entity, parent_table=parent_table,
                                     into=store_side if compare else None, each=check)
            if folded is not None:
                t.records += folded[0]
                t.rows += folded[1]
                rehashed.set(t.records)
                return
        checked = (serverhash.hashed_records(store, t.source, t.table, t.entity, parent_table=parent_table)
                   if serverhash.available(store) else stored())
        for rec in checked:
            check(rec)
        rehashed.set(t.records)

    def read_again() -> digests.Segments:
        assert spec is not None  # called when comparing
        tally = Tally(progress[0], "re-reading", t.source, progress[1], expected).start()
        assert reader is not None
        return reader.segments(spec, width, expected, tally)

    # the store's side on its own connection while the source is read, where there is one
    source_side = _beside(lambda: rehash(beside), read_again) if compare and beside is not None else None
    if source_side is None:
        rehash(conn)
    for key, row_id in orphans:
        result.add(t, ContentProblem(t.source, t.entity, t.table, key, "row-without-lineage", row_id))
        store_side.add(key, "row-without-lineage")
    if reader is None or spec is None:
        return
    if source_side is None:
        source_side = read_again()
    t.source_records = source_side.total
    t.segments = len(set(source_side.count) | set(store_side.count))
    bad = digests.differing(source_side, store_side)
    t.differing_segments = len(bad)
    if not bad:
        return
    wanted = set(bad)
    source_records: dict[str, dict] = {}
    source_open: dict[str, str] = {}
    for key, digest, record in reader.records(spec):
        if digests.segment_of(key, digest, width) in wanted:
            source_open[key] = digest
            source_records[key] = record
    store_open: dict[str, StoreRecord] = {r.source_key: r for r in stored()
                                          if digests.segment_of(r.source_key, r.digest_value, width) in wanted
                                          and r.source_key not in gone}
    for key, row_id in orphans:
        if digests.segment_of(key, "row-without-lineage", width) in wanted:
            store_open[key] = StoreRecord(key, "loaded", "", row_id, None, None, None, "row-without-lineage")
    shown = 0
    for diff in digests.compare_keys(source_open, {k: r.digest_value for k, r in store_open.items()}):
        found = store_open.get(diff.key)
        result.add(t, ContentProblem(t.source, t.entity, t.table, diff.key, diff.kind,
                                     found.row_id if found else None))
        if diff.kind == "changed" and shown < sample and found is not None and found.record is not None:
            shown += 1
            result.differences += _field_differences(t, diff.key, source_records[diff.key], found.record)


def _beside(store: Callable[[], None], source: Callable[[], digests.Segments]) -> digests.Segments:
    """``store()`` in a thread while ``source()`` runs here: the store's server hashes its rows while this
    process reads and hashes the source's; an error of either is raised here, after both ended."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            store()
        except BaseException as exc:  # raised below, in the caller's thread
            failed.append(exc)

    worker = threading.Thread(target=run, name="store-side", daemon=True)
    worker.start()
    try:
        segments = source()
    finally:
        worker.join()
    if failed:
        raise failed[0]
    return segments


def _check_inside(result: ContentResult, t: TableContent, rec: StoreRecord) -> None:
    def problem(kind: str) -> None:
        result.add(t, ContentProblem(t.source, t.entity, t.table, rec.source_key, kind, rec.row_id))

    if rec.outcome == "loaded" and rec.row_id is None:
        problem("row-missing")
    if rec.row_id is not None:
        t.rows += 1
        if rec.rebuilt_hash != rec.row_hash:
            problem("row-changed")
        elif rec.row_hash != rec.lineage_hash:
            problem("hash-changed")
    if REGISTRY[t.entity].merges and rec.outcome in ("loaded", "merged"):
        if rec.alias_hash is None:
            problem("alias-missing")
        elif rec.alias_hash != rec.lineage_hash:
            problem("alias-changed")


def _expected(conn: Connection, t: TableContent) -> int:
    count = conn.execute(select(source_snapshot.c.source_count)
                         .where(source_snapshot.c.source_system == t.source, source_snapshot.c.source_table == t.table)
                         .order_by(source_snapshot.c.run_id.desc()).limit(1)).scalar()
    return int(count or 0)


def _field_differences(t: TableContent, key: str, source: dict, store: dict) -> list[dict]:
    rows = []
    for name in REGISTRY[t.entity].field_names:
        a, b = hash_value(source.get(name)), hash_value(store.get(name))
        if a != b:
            rows.append({"source": t.source, "entity": t.entity, "source_key": key, "field": name,
                         "source_value": _text(a), "store_value": _text(b)})
    return rows


def _text(value: object) -> str | None:
    return None if value is None else str(value)
