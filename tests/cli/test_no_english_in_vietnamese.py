"""What an operator reads with ``--lang vi`` holds no English, through ``main()`` as a shell runs the commands.

Two nets, over the commands of an operator's day on a small demo store (``run -v``, ``reconcile run``
and the page and workbook it writes, ``batches list/show``, ``quarantine list``, ``store
current/history/upgrade``, ``lookup``), usage errors and the ``--help`` of every command:

- every message looked up in the catalogue while they run is one it translates (a text said through
  ``Language.gettext`` that the catalogue does not hold would be printed in English);
- no English word is left in what they print, once what stays as typed is set aside: commands,
  options, file names and URLs, quoted values, machine names (batch states, rule and check names).
"""

from __future__ import annotations

import html
import re

import click
import openpyxl
import pytest
from babel.messages.pofile import read_po

from sqlalchemy import select, update

from adapters.profiles import load_profile
from migrate.cli import cli
from migrate.core import i18n
from migrate.store import schema
from migrate.store.models import dossier, dossier_file, source_snapshot
from tests.harness import EXIT_OK, EXIT_USAGE, Outcome
from tests.test_i18n import PO

# English words no Vietnamese sentence holds: what is left of a line after what stays as typed is set aside
ENGLISH = frozenset("""
    the and of with from are is was were this that has have been which when not into than only each every after
    before would could should there their its it be by at on or as if but no yes none all any more less
    record records row rows batch batches store source sources file files run runs found missing failed passed
    verdict extracted loaded merged quarantined excluded quarantine revision latest current head error usage
    options commands command argument option invalid value such try help show message exit default example
    reconciliation conservation holds content attachments intact continuity report manifest done
    integer float range text path args warnings broken
""".split())
# what stays as typed: a command line, a default value, an option, a path or URL, a quoted value, an identifier
AS_TYPED = re.compile(r"hopnhat(?: [\w\-./:=\[\]]+)*|--?[\w-]+|\[[\w.|-]+\]|\S*[/\\]\S*|\S+@\S+|'[^']*'|\"[^\"]*\"|`[^`]*`"
                      r"|\b\w+[_:.]\w[\w:.\-]*|\b\w+(?:-\w+)+")  # a hyphenated name is a machine one (row-changed, hanam-portal)
_DEFAULT = re.compile(r"\[mặc định:[^\]]*\]")  # a default value, as typed (a help line may break inside it)
# machine names the output keeps in every language (README, "What stays as it is in every language")
MACHINE = frozenset("""
    planned running loaded failed verified account dossier dossier_event dossier_file document applicant staff
    sqlite postgresql json csv xlsx jsonl html utc ok vm manifest path ERROR
""".split())  # "manifest": the catalogue's term (manifest.json); path: a record's field; ERROR: map address's word


def _paths(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    subs = command.commands.items() if isinstance(command, click.Group) else ()
    return [path] + [p for name, sub in subs for p in _paths(sub, path + (name,))]


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    return command


# an argument's name (PROFILES, BATCH_ID, REVISION): the usage line and click's error lines name it as written
_ARGUMENTS = frozenset(word for path in _paths(cli) for param in _command(path).params
                       if isinstance(param, click.Argument) for word in re.findall(r"\w+", param.make_metavar(
                           click.Context(_command(path)))))


def _english(text: str) -> list[str]:
    """The English words of ``text`` that are not kept as typed."""
    found = []
    for line in _DEFAULT.sub(" ", text).splitlines():
        rest = AS_TYPED.sub(" ", line)
        found += [w for w in re.findall(r"(?<![\w.])[A-Za-z]+(?![\w.])", rest)
                  if w.lower() in ENGLISH and w not in MACHINE and w not in _ARGUMENTS]
    return found


_FIELDS = re.compile(r"(?:\{\w+\})+")  # a text made of fields alone (the phrasebook's pieces) says no word


@pytest.fixture
def missed(monkeypatch):
    """Every text looked up in the Vietnamese catalogue while the test runs that the catalogue does not translate."""
    with PO.open("rb") as fh:
        translated = {m.id for m in read_po(fh, locale="vi") if m.id and m.string}
    seen: list[str] = []
    gettext = i18n.Language.gettext

    def looked_up(self, message: str) -> str:
        if self.code == "vi" and message.strip() and message not in translated and not _FIELDS.fullmatch(message):
            seen.append(message)
        return gettext(self, message)

    monkeypatch.setattr(i18n.Language, "gettext", looked_up)
    return seen


def _said(out: Outcome, missed: list[str]) -> None:
    """Neither net caught English in what ``out`` printed."""
    assert not missed, (out, missed)
    assert not _english(out.output), (_english(out.output), out)


def test_an_operators_day_in_vietnamese(shell, demo_portals, tmp_path, missed):
    portal = demo_portals[0]
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    env = {load_profile(portal.profile_path).url_env: f"sqlite:///{portal.db_path}", "HOPNHAT_STORE_URL": store,
           "HOPNHAT_FILES_DIR": str(tmp_path / "files"), "HOPNHAT_LANG": "vi"}
    steps = [("store", "upgrade"), ("-v", "run", str(portal.profile_path), "--batch-size", "100"),  # -v: its log
             ("reconcile", "run", str(portal.profile_path), "--out", str(tmp_path / "report")),
             ("batches", "list"), ("batches", "show", "2"), ("quarantine", "list"), ("store", "current"),
             ("store", "history"), ("store", "upgrade"), ("lookup", "2")]
    for args in steps:
        out = shell.main(*args, env=env, expect=None)
        assert out.code in (EXIT_OK, 4), out
        assert out.output.strip(), out
        _said(out, missed)
    _report_said(tmp_path / "report", missed)  # the page and the workbook reconcile run wrote in Vietnamese


def _report_said(report, missed: list[str]) -> None:
    """No English in the page and the workbook of the report in ``report``."""
    page = html.unescape(re.sub(r"<(script|style)\b.*?</\1>", " ", (report / "index.html").read_text("utf-8"), flags=re.S))
    text = "\n".join(line.strip() for line in re.sub(r"<[^>]+>", "\n", page).splitlines() if line.strip())
    assert not _english(text), sorted(set(line for line in text.splitlines() if _english(line)))[:20]
    sheets = openpyxl.load_workbook(report / "report.xlsx", read_only=True)
    cells = {c for ws in sheets.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)}
    assert not [c for c in cells if _english(c)], sorted(c for c in cells if _english(c))[:20]
    assert not missed, missed


def test_a_tampered_store_is_reported_in_vietnamese(shell, demo_portals, tmp_path, missed):
    """What reconciliation finds wrong (a changed row, a stored file gone, one record fewer extracted than counted) is
    said in Vietnamese: the terminal, the page and the workbook."""
    portal = demo_portals[0]
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    env = {load_profile(portal.profile_path).url_env: f"sqlite:///{portal.db_path}", "HOPNHAT_STORE_URL": store,
           "HOPNHAT_FILES_DIR": str(tmp_path / "files"), "HOPNHAT_LANG": "vi"}
    shell.main("store", "upgrade", env=env)
    shell.main("-q", "run", str(portal.profile_path), env=env, expect=None)
    engine = schema.connect(store)
    with engine.begin() as conn:
        victim = conn.execute(select(dossier.c.id).order_by(dossier.c.id).limit(1)).scalar_one()
        conn.execute(update(dossier).where(dossier.c.id == victim).values(status="returned-forged"))
        stored = conn.execute(select(dossier_file.c.sha256).where(dossier_file.c.file_state == "stored")
                              .limit(1)).scalar_one()
        conn.execute(update(source_snapshot).where(source_snapshot.c.entity == "document")  # one record short
                     .values(source_count=source_snapshot.c.source_count + 1))
    engine.dispose()
    next((tmp_path / "files").rglob(stored)).unlink()
    out = shell.main("reconcile", "run", "--out", str(tmp_path / "report"), env=env, expect=3)
    assert "KHÁC " in out.stdout and "BỊ THAY ĐỔI " in out.stdout and "không còn tệp đã lưu " in out.stdout, out
    assert re.search(r"^  BỊ VI PHẠM hanam-portal/document: đã trích xuất [\d.]+ nhưng lúc chụp nguồn đếm được ",
                     out.stdout, re.M), out
    _said(out, missed)
    _report_said(tmp_path / "report", missed)


USAGE_ERRORS = [
    ("run", "--wrokers", "2"),                 # a typo'd option
    ("batches", "show"),                       # a missing argument
    ("batches", "list", "--state", "lost"),    # a bad choice
    ("batches", "show", "abc"),                # not a whole number
    ("demo", "--scale", "0"),                  # out of range
    ("quarantine", "lst"),                     # a typo'd command
    ("store", "upgrade", "--from", "0002"),    # hopnhat's own usage error
    ("bench", "load"),                         # a benchmark without its server
    ("bench", "extract", "--engines", "oracle"),
]


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
def test_usage_errors_in_vietnamese(shell, args, missed):
    out = shell.main("--lang", "vi", *args, expect=EXIT_USAGE)
    lines = out.stderr.splitlines()
    assert lines[0].startswith("Cách dùng: hopnhat ") and lines[1].startswith("Xem hướng dẫn: "), out
    assert lines[-1].startswith("Lỗi: ") and out.stdout == "", out
    _said(out, missed)


_LISTED = re.compile(r"^  [a-z][\w-]*(?=  |$)")  # a command a group lists, by its name


def test_the_help_of_every_command_in_vietnamese(shell, missed):
    for path in _paths(cli):
        out = shell.main("--lang", "vi", *path, "--help")
        assert out.stdout.startswith("Cách dùng: hopnhat"), out
        examples = [line for line in out.stdout.splitlines() if line.startswith("      hopnhat ")]  # as typed
        prose = "\n".join(_LISTED.sub("", line) for line in out.stdout.splitlines() if line not in examples)
        assert not missed, (path, missed)
        assert not _english(prose), (path, _english(prose), out.stdout)
