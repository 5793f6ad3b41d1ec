"""Attachments: every stored file's SHA-256 recomputed from the file itself.

Each dossier file and data-store document row names the SHA-256 of the
content the store keeps (content-addressed: the file's name is its hash).
Reading every file again shows a file replaced, altered or removed after
loading; the rows pointing to it are named. Rows whose stored hash differs
from the hash the source recorded are named too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, func, select

from migrate.attachments import NO_STORED_FILE, NOT_AS_RECORDED, verify_file
from migrate.core.i18n import Language, language
from migrate.core.progress import Progress, Tallies
from migrate.core.entities import ENTITY_TABLES, FILE_ENTITIES
from reconciliation import labels

TICK = 500  # rows between two progress reports
KEEP = 1000


@dataclass
class AttachmentResult:
    files_dir: str | None
    rows: int = 0
    files: int = 0
    per_source: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)
    problem_count: int = 0

    name = "attachments"

    @property
    def ok(self) -> bool:
        return self.problem_count == 0 and self.files_dir is not None

    def summary_lines(self, lang: Language | None = None) -> list[str]:
        lang = lang or language()
        _ = lang.gettext
        if self.files_dir is None:
            return [_("Attachments NOT checked: the store's file folder is unknown (pass --files-dir).")]
        if not self.rows:
            return [_("Attachments: no stored file to read again (no dossier file or document row holds a file).")]
        said = (_("Attachments intact: {files} stored files read again for {rows} rows; {problems} problem(s).")
                if self.ok else
                _("Attachments ALTERED: {files} stored files read again for {rows} rows; {problems} problem(s)."))
        lines = [said.format(files=lang.number(self.files), rows=lang.number(self.rows),
                             problems=lang.number(self.problem_count))]
        lines += [_("ALTERED {source}/{entity} record {key}: {problem}").format(
            source=p["source"], entity=p["entity"], key=p["source_key"], problem=labels.PROBLEMS.say(p["problem"], lang))
            for p in self.problems[:30]]
        return lines

    def as_dict(self) -> dict:
        return {"ok": self.ok, "files_dir_checked": self.files_dir is not None, "rows": self.rows,
                "files": self.files, "per_source": self.tables()["attachments"], "problems": self.problems}

    def tables(self) -> dict[str, list[dict]]:
        per = [{"source": s, "entity": e, **counts} for (s, e), counts in sorted(self.per_source.items())]
        return {"attachments": per, "attachment-problems": self.problems}


def attachments(conn: Connection, files_dir: Path | None, *, source: str | None = None,
                progress: Progress | None = None) -> AttachmentResult:
    """Recompute the SHA-256 of every stored file (each distinct file once) and name the rows of bad ones.

    ``progress`` hears "checking files" per source and entity, counting rows.
    """
    result = AttachmentResult(str(files_dir) if files_dir is not None else None)
    if files_dir is None:
        return result
    for entity, table in ((e, ENTITY_TABLES[e]) for e in FILE_ENTITIES):
        stmt = (select(table.c.source_system, table.c.source_key, table.c.sha256, table.c.recorded_sha256,
                       table.c.file_state)
                .where(table.c.file_state == "stored").order_by(table.c.sha256)
                .execution_options(yield_per=5000))
        if source:
            stmt = stmt.where(table.c.source_system == source)
        tallies = Tallies(progress, "checking files", _row_counts(conn, entity, table, source))
        for src, _ in tallies.totals:
            tallies.tally(src, entity)
        last_sha, last_problem = None, None
        for src, key, sha, recorded, _state in conn.execute(stmt):
            counts = result.per_source.setdefault((src, entity), {"rows": 0, "rows_intact": 0, "problems": 0})
            counts["rows"] += 1
            result.rows += 1
            if sha != last_sha:  # rows are ordered by hash: each distinct file is read once
                last_sha, last_problem = sha, (verify_file(files_dir, sha) if sha else NO_STORED_FILE)
                result.files += 1
            if result.rows % TICK == 0:
                tallies.set(src, entity, counts["rows"])
            problem = last_problem
            if problem is None and recorded and recorded.lower() != (sha or "").lower():
                problem = NOT_AS_RECORDED.format(sha256=sha, recorded=recorded)
            if problem is None:
                counts["rows_intact"] += 1
                continue
            counts["problems"] += 1
            result.problem_count += 1
            if len(result.problems) < KEEP:
                result.problems.append({"source": src, "entity": entity, "source_key": key, "sha256": sha,
                                        "problem": problem})
        for (src, name), counts in result.per_source.items():
            if name == entity:
                tallies.set(src, entity, counts["rows"])
    return result


def _row_counts(conn: Connection, entity: str, table, source: str | None) -> dict[tuple[str, str], int]:
    """Rows with a stored file per source: the totals of the progress reports."""
    stmt = (select(table.c.source_system, func.count()).where(table.c.file_state == "stored")
            .group_by(table.c.source_system))
    if source:
        stmt = stmt.where(table.c.source_system == source)
    return {(src, entity): int(n) for src, n in conn.execute(stmt)}
