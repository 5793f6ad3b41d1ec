"""Vietnamese and English: the catalogue covers every message, formats follow Vietnam, --lang and the locale."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.extract import extract, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from migrate.config import report_language
from migrate.core.i18n import language, normalize
from tests.harness import hopnhat

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "migrate" / "locale" / "vi" / "LC_MESSAGES" / "hopnhat.po"
_PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)s")


_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "msg": None}
_PACKAGES = ("adapters", "mappings", "migrate", "reconciliation", "runbooks")


def _extracted(keywords: dict = _KEYWORDS, packages: tuple[str, ...] = _PACKAGES) -> set:
    """Every message id the code marks (``msg`` for the CLI's messages and errors, gettext's keywords)."""
    with (ROOT / "babel.cfg").open() as fh:
        methods, options = parse_mapping_cfg(fh)
    found = set()
    for package in packages:
        path = ROOT / package
        if path.is_file():
            with path.open("rb") as fh:
                found |= {m for _, m, _, _ in extract("python", fh, keywords=keywords)}
            continue
        for _, _, message, _, _ in extract_from_dir(str(path), methods, options, keywords=keywords):
            found.add(message)
    return found


def test_every_message_in_the_code_has_a_vietnamese_translation():
    catalog = read_po(PO.open("rb"), locale="vi")
    translated = {m.id: m.string for m in catalog if m.id}
    messages = _extracted()
    assert len(messages) > 100
    def done(m) -> bool:
        target = translated.get(m)
        return bool(target) and all(target if isinstance(target, tuple) else [target])

    missing = [m for m in messages if not done(m)]
    assert not missing, f"untranslated (run pybabel extract/update, see migrate/core/i18n.py): {missing[:10]}"
    for message in messages:
        source = " ".join(message) if isinstance(message, tuple) else message
        target = translated[message]
        target = " ".join(target) if isinstance(target, tuple) else target
        assert set(_PLACEHOLDER.findall(target)) <= set(_PLACEHOLDER.findall(source)), message


def test_the_cli_messages_keep_every_value_in_vietnamese():
    """A message of the CLI (``msg``, click's usage patterns) says every value it is given, in both languages."""
    catalog = read_po(PO.open("rb"), locale="vi")
    translated = {m.id: m.string for m in catalog if m.id}
    cli = _extracted(keywords={"msg": None}) | _extracted(keywords={"_": None}, packages=("migrate/cli/usage.py",))
    assert len(cli) > 100
    for message in cli:
        assert sorted(_PLACEHOLDER.findall(translated[message])) == sorted(_PLACEHOLDER.findall(message)), message


def test_the_catalogue_ships_with_the_package():
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-data"]
    relative = PO.relative_to(ROOT / "migrate").as_posix()
    assert any(fnmatch.fnmatch(relative, pattern) for pattern in package_data["migrate"])
    assert language("vi").gettext("PASSED") == "ĐẠT"


def test_numbers_dates_and_languages():
    vi, en = language("vi"), language("en")
    assert vi.number(1234567) == "1.234.567" and en.number(1234567) == "1234567"
    assert vi.date("2025-07-01") == "01/07/2025" and en.date("2025-07-01") == "2025-07-01"
    assert vi.datetime("2025-07-01T08:30:00+00:00") == "01/07/2025 08:30:00 UTC"
    assert vi.percent(0.045) == "4,5%" and vi.percent(1.0) == "100%"
    assert [normalize(c) for c in ("vi_VN.UTF-8", "vi", "en_US", "C.UTF-8", None, "fr")] == ["vi", "vi", "en", "en",
                                                                                         "en", "en"]
    assert report_language(None, {"LANG": "vi_VN.UTF-8"}) == "vi"
    assert report_language("en", {"LANG": "vi_VN.UTF-8"}) == "en"
    assert report_language(None, {"LC_ALL": "C.UTF-8", "LANG": "vi_VN.UTF-8"}) == "en"


def _shell(*args: str) -> tuple[int, str]:
    """``hopnhat ARGS`` through main() (tests/harness.py), with the variables the test set: exit code and output."""
    out = hopnhat(*args, keep_env=True)
    return out.code, out.output


def test_reconcile_speaks_the_chosen_language(tmp_path, monkeypatch):
    store = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert _shell("store", "upgrade", "--store", store)[0] == 0
    code, out = _shell("reconcile", "run", "--store", store, "--out", str(tmp_path / "vi"),
                       "--lang", "vi", "--no-record")
    assert code == 4 and "Chưa chuyển đổi dữ liệu nào" in out and "ĐẠT, CÓ CẢNH BÁO (mã thoát 4)" in out
    page = (tmp_path / "vi" / "index.html").read_text("utf-8")
    assert '<html lang="vi">' in page and "Báo cáo đối soát dữ liệu" in page
    monkeypatch.setenv("LC_ALL", "vi_VN.UTF-8")  # no --lang: the locale decides
    code, out = _shell("reconcile", "run", "--store", store, "--out", str(tmp_path / "loc"),
                       "--no-record")
    assert code == 4 and "kết luận: ĐẠT, CÓ CẢNH BÁO" in out
    code, out = _shell("reconcile", "run", "--store", store, "--out", str(tmp_path / "en"),
                       "--lang", "en", "--no-record")
    assert code == 4 and "verdict: PASSED WITH WARNINGS (exit 4)" in out


def test_content_and_continuity_summaries_are_said_in_vietnamese():
    from reconciliation.content import ContentResult
    from reconciliation.continuity import ContinuityResult, IndexState, Resolution

    vi, en = language("vi"), language("en")
    content = ContentResult()
    assert content.summary_lines(vi)[0] == ("Nội dung khớp: 0 dòng trong kho được dựng lại và băm lại, so với mã băm "
                                            "lấy lúc trích xuất; 0 vấn đề.")
    assert content.summary_lines(en)[1].startswith("Not compared with the sources")
    continuity = ContinuityResult(resolutions=(Resolution("dossier", 12345, 12000, 0, 300, 45),
                                               Resolution("account", 10, 7, 2, 1, 0)),
                                  index=IndexState(built=False), reset_total=3)
    lines = continuity.summary_lines(vi)
    assert lines[0] == "Tính liên tục: BỊ GÃY"
    assert lines[1] == ("  hồ sơ cũ: 12.345; 12.000 tìm được hồ sơ mới, 300 đang cách ly hoặc bị loại (có danh sách), "
                        "45 không tìm được gì")
    assert "2 tìm được tài khoản đã gộp vào" in lines[2]
    assert "CHƯA XÂY DỰNG" in lines[4] and "không có" in lines[5]
    english = continuity.summary_lines(en)
    assert english[1] == ("  old dossiers: 12345; 12000 resolve to a new dossier, 300 held in quarantine or "
                          "excluded (listed), 45 resolve to nothing")
