"""The CLI's own messages in Vietnamese and English, as a shell sees them (``main()``, exit code and output).

The language is chosen as the reports choose theirs: ``--lang`` (on ``hopnhat`` or on
the command), else HOPNHAT_LANG, else the locale. Exit codes never change with it.
"""

from __future__ import annotations

import pickle

import pytest
from sqlalchemy.engine import make_url

from migrate.core.errors import ConfigError, StoreError
from migrate.core.i18n import language
from migrate.core.masking import mask_text
from migrate.core.messages import Message, msg, say
from tests.harness import EXIT_ERROR, EXIT_OK, EXIT_USAGE


def _error(out) -> str:
    """The one error line (``Error: `` or ``Lỗi: ``) a failed command prints on stderr."""
    lines = [line for line in out.stderr.splitlines() if line.startswith(("Error: ", "Lỗi: "))]
    assert len(lines) == 1, out
    return lines[0]


@pytest.mark.parametrize("lang", ["--lang=vi", "env", "locale"])
def test_usage_errors_are_said_in_vietnamese_however_it_is_chosen(shell, lang, monkeypatch):
    if lang == "locale":
        monkeypatch.setenv("LC_ALL", "vi_VN.UTF-8")
    env = {"HOPNHAT_LANG": "vi"} if lang == "env" else None
    first = ("--lang=vi",) if lang == "--lang=vi" else ()
    out = shell.main(*first, "batches", "shw", env=env, expect=EXIT_USAGE)
    assert out.stderr.splitlines() == ["Cách dùng: hopnhat batches [TÙY_CHỌN] LỆNH [THAM_SỐ]...",
                                       "Xem hướng dẫn: 'hopnhat batches --help'.", "",
                                       "Lỗi: Không có lệnh 'shw'. Có phải ý bạn là 'show'?"]
    assert out.stdout == ""


@pytest.mark.parametrize("args, vietnamese, english", [
    (("run", "missing.toml"), "Lỗi: Giá trị không hợp lệ cho '[PROFILES]...': Tệp 'missing.toml' không tồn tại.",
     "Error: Invalid value for '[PROFILES]...': File 'missing.toml' does not exist."),
    (("demo", "--scale", "0"), "Lỗi: Giá trị không hợp lệ cho '--scale': 0 nằm ngoài khoảng cho phép x>=1.",
     "Error: Invalid value for '--scale': 0 is not in the range x>=1."),
    (("batches", "list", "--state", "lost"),
     "Lỗi: Giá trị không hợp lệ cho '--state': 'lost' không phải một trong các giá trị 'planned', 'running', "
     "'loaded', 'failed', 'verified'.",
     "Error: Invalid value for '--state': 'lost' is not one of 'planned', 'running', 'loaded', 'failed', 'verified'."),
    (("batches", "show", "x"), "Lỗi: Giá trị không hợp lệ cho 'BATCH_ID': 'x' không phải là số nguyên.",
     "Error: Invalid value for 'BATCH_ID': 'x' is not a valid integer."),
    (("batches", "show"), "Lỗi: Thiếu đối số 'BATCH_ID'.", "Error: Missing argument 'BATCH_ID'."),
    (("freeze", "take", "--out"), "Lỗi: Tùy chọn '--out' cần một giá trị.", "Error: Option '--out' requires an argument."),
    (("store", "upgrade", "--sq"), "Lỗi: Không có tùy chọn '--sq'. Có phải ý bạn là '--sql'?",
     "Error: No such option '--sq'. Did you mean '--sql'?"),
    (("store", "current", "--stor", "x"),
     "Lỗi: Không có tùy chọn '--stor'. (Có phải ý bạn là một trong: '--json', '--store'?)",
     "Error: No such option '--stor'. (Did you mean one of: '--json', '--store'?)"),
    (("batches", "rerun"), "Lỗi: hãy nêu mã lô, hoặc dùng --failed hoặc --quarantined (một trong hai cách)",
     "Error: name batch ids, or use --failed or --quarantined (one of them)"),
    (("run", "--source", "nourl", "hanam.toml"), "Lỗi: Giá trị không hợp lệ cho --source: cần dạng TÊN=URL, nhận được 'nourl'",
     "Error: Invalid value for --source: expected NAME=URL, got 'nourl'"),
    (("-q", "-v", "store", "current"), "Lỗi: -q và -v mâu thuẫn nhau; chỉ dùng một trong hai",
     "Error: -q and -v contradict each other; give one of them"),
])
def test_usage_errors_in_both_languages(shell, args, vietnamese, english):
    (shell.cwd / "hanam.toml").write_text("[source]\n", "utf-8")
    assert _error(shell.main("--lang", "vi", *args, expect=EXIT_USAGE)) == vietnamese
    assert _error(shell.main("--lang", "en", *args, expect=EXIT_USAGE)) == english


def test_an_unsupported_language_is_a_usage_error_in_english(shell):
    out = shell.main("--lang", "fr", "store", "current", expect=EXIT_USAGE)
    assert _error(out) == "Error: Invalid value for '--lang': 'fr' is not one of 'vi', 'en'."


def test_store_errors_in_both_languages(shell, tmp_path):
    missing = f"sqlite:///{tmp_path / 'none.sqlite'}"
    out = shell.main("--lang", "vi", "store", "current", "--store", missing, expect=EXIT_ERROR)
    assert _error(out) == (f"Lỗi: không có kho tại {missing} (không có tệp {tmp_path / 'none.sqlite'}). "
                           f"Hãy tạo kho: hopnhat store upgrade --store {missing}")
    out = shell.main("store", "current", "--store", missing, env={"HOPNHAT_LANG": "en"}, expect=EXIT_ERROR)
    assert _error(out).startswith(f"Error: there is no store at {missing} (no file ")
    out = shell.main("--lang", "vi", "batches", "list", "--store", "mysql://u:secret@db/x", expect=EXIT_ERROR)
    assert _error(out) == ("Lỗi: không nhận ra kiểu URL của kho mysql:// trong mysql://u:***@db/x: hãy dùng "
                           "postgresql+psycopg://USER@HOST/DB hoặc sqlite:///FILE")
    assert "secret" not in out.output
    out = shell.main("--lang", "en", "batches", "list", "--store", "mysql://u:secret@db/x", expect=EXIT_ERROR)
    assert _error(out) == ("Error: unknown store URL scheme mysql:// in mysql://u:***@db/x: use "
                           "postgresql+psycopg://USER@HOST/DB or sqlite:///FILE")


def test_an_unreachable_postgresql_store_in_vietnamese(shell, pg_url):
    gone = make_url(pg_url).set(database="hopnhat_no_such_database").render_as_string(hide_password=False)
    out = shell.main("--lang", "vi", "store", "current", "--store", gone, expect=EXIT_ERROR)
    line = _error(out)
    assert line.startswith("Lỗi: không mở được kho postgresql+psycopg://")
    assert line.endswith("; hãy tạo cơ sở dữ liệu trên máy chủ (createdb TÊN), rồi chạy: "
                         "hopnhat store upgrade --store URL")


def test_no_such_batch_on_both_stores_and_languages(shell, store_url):
    shown = mask_text(make_url(store_url).render_as_string(hide_password=True))  # as every error line masks it
    out = shell.main("--lang", "vi", "batches", "show", "1234", "--store", store_url, expect=EXIT_ERROR)
    assert _error(out) == f"Lỗi: Không có lô 1234 trong kho {shown}. Xem danh sách lô: hopnhat batches list"
    out = shell.main("--lang", "en", "batches", "show", "1234", "--store", store_url, env={"HOPNHAT_LANG": "vi"},
                     expect=EXIT_ERROR)
    assert _error(out) == f"Error: There is no batch 1234 in the store {shown}. List the batches: hopnhat batches list"


def test_configuration_problems_in_vietnamese(shell, tmp_path):
    profile = tmp_path / "hanam.toml"
    profile.write_text('[source]\nname = "hanam"\nengine = "sqlite"\nurl_env = "HOPNHAT_SOURCE_HANAM_URL"\n'
                       '[entity.dossier]\ntable = "dossier"\nkey = ["id"]\n'
                       'columns = { dossier_no = "no" }\n', "utf-8")
    out = shell.main("--lang", "vi", "run", str(profile), "--batch-size", "5", "--store",
                     f"sqlite:///{tmp_path / 's.sqlite'}", expect=EXIT_ERROR)
    assert ("nguồn hanam: chưa có URL; hãy đặt HOPNHAT_SOURCE_HANAM_URL (hoặc truyền --source) là URL của "
            "cơ sở dữ liệu cũ") in _error(out)
    out = shell.main("--lang", "vi", "source", "show", "no-such-profile", expect=EXIT_ERROR)
    assert out.stderr == ("Lỗi: không có tệp mô tả nguồn (profile) dựng sẵn 'no-such-profile'; các tệp dựng sẵn: "
                          "demo-portal, opencps-v2\n")
    (shell.cwd / "hopnhat.toml").write_text("[stor]\n", "utf-8")
    out = shell.main("--lang", "vi", "batches", "list", expect=EXIT_ERROR)
    assert _error(out) == (f"Lỗi: {shell.cwd / 'hopnhat.toml'}: không nhận ra mục [stor]; các mục hợp lệ: "
                           "[store], [run], [reconcile]")


def test_the_command_lang_wins_over_the_group_lang(shell, tmp_path):
    store = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    shell.main("store", "upgrade", "--store", store, expect=EXIT_OK)
    out = shell.main("--lang", "en", "reconcile", "run", "--lang", "vi", "--store", store, "--out",
                     str(tmp_path / "r"), "--no-record", expect=None)
    assert out.code == 4 and "Chưa chuyển đổi dữ liệu nào" in out.stdout


def test_messages_keep_english_and_say_numbers_the_vietnamese_way():
    vi, en = language("vi"), language("en")
    text = msg("{n} batch(es) still failed after the rerun: {ids}. The cause is still there: read it "
               "(hopnhat batches show {first}), fix it, then hopnhat batches rerun {ids}",
               n=1234567, ids="8 9", first="8")
    assert text.startswith("1234567 batch(es) still failed after the rerun: 8 9.")
    assert say(text, vi).startswith("1.234.567 lô vẫn lỗi sau khi chạy lại: 8 9.") and say(text, en) == text
    copy = pickle.loads(pickle.dumps(StoreError(text)))  # workers send errors between processes
    assert isinstance(copy.args[0], Message) and copy.render(vi) == say(text, vi)
    problems = ConfigError([msg("workers must be at least 1, got {value}", value="0"), "a plain problem"])
    assert str(problems) == "workers must be at least 1, got 0; a plain problem"
    assert problems.render(vi) == "số tiến trình (workers) phải từ 1 trở lên, nhận được 0; a plain problem"



def test_every_command_takes_lang_after_its_name(shell, tmp_path):
    import click

    from migrate.cli import cli

    def leaves(group: click.Group):
        for command in group.commands.values():
            yield from leaves(command) if isinstance(command, click.Group) else [command]

    assert all(any(p.name == "lang" for p in c.params) for c in leaves(cli))
    out = shell.main("batches", "list", "--lang", "vi", "--store", "mysql://db/x", expect=EXIT_ERROR)
    assert _error(out).startswith("Lỗi: không nhận ra kiểu URL của kho mysql:// trong mysql://db/x")
    out = shell.main("store", "current", "--stor", "x", "--lang", "vi", expect=EXIT_USAGE)  # read before parsing
    assert _error(out) == "Lỗi: Không có tùy chọn '--stor'. (Có phải ý bạn là một trong: '--json', '--store'?)"
    out = shell.main("--lang", "vi", "store", "current", "--lang", "en", "--store", "mysql://db/x", expect=EXIT_ERROR)
    assert _error(out).startswith("Error: unknown store URL scheme mysql://")
