"""Settings: built once at the CLI edge (flags > environment > profile), validated whole.

This is the only module that reads ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from adapters.profiles import SourceProfile, load_profile
from migrate.core.credentials import hide_credentials
from migrate.core.errors import ConfigError
from migrate.core.messages import msg
from migrate.core.tomlfile import read_toml
from migrate.prepare import DateRange

DEFAULT_STORE = "sqlite:///hopnhat.sqlite"
PROJECT_FILE = "hopnhat.toml"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _setting(section: str, key: str, kind: type, default: object = None) -> Any:
    """A field of :class:`Project` read from ``[section] key`` of the file, a TOML value of type ``kind``
    (paths are relative to the project file's folder)."""
    return field(default=default, metadata={"toml": (section, key, kind)})


@dataclass(frozen=True)
class Project:
    """``hopnhat.toml``: the settings an operator would otherwise type on every command.

    It names the environment variable holding the store URL, never the URL.
    Flags and environment variables win over it.
    """

    path: Path
    store_url_env: str | None = _setting("store", "url_env", str)
    files_dir: Path | None = _setting("store", "files_dir", str)
    profiles: tuple[Path, ...] = _setting("run", "profiles", list, ())
    split_rules: Path | None = _setting("run", "split_rules", str)
    remaps: Path | None = _setting("run", "remaps", str)
    batch_size: int | None = _setting("run", "batch_size", int)
    workers: int | None = _setting("run", "workers", int)
    default_part_policy: bool | None = _setting("run", "default_part_policy", bool)
    report_dir: Path | None = _setting("reconcile", "out", str)
    # YYYY-MM-DD: earlier dates are implausible (rule date:implausible)
    earliest_date: str | None = _setting("run", "earliest_date", str)

    @classmethod
    def find(cls, given: str | Path | None = None, *, cwd: Path | None = None,
             environ: Mapping[str, str] | None = None) -> Project | None:
        """``given`` (``--config``), else ``HOPNHAT_CONFIG``, else ``hopnhat.toml`` in ``cwd`` if there."""
        env = os.environ if environ is None else environ
        named = given or env.get("HOPNHAT_CONFIG")
        if named:
            return cls.load(Path(named))
        found = (cwd or Path.cwd()) / PROJECT_FILE
        return cls.load(found) if found.is_file() else None

    @classmethod
    def load(cls, path: Path) -> Project:
        """Read and validate the whole file; every problem in one ConfigError."""
        doc, _ = read_toml(path, msg("project file"))
        problems: list[str] = []
        for section, body in doc.items():
            if section not in PROJECT_KEYS or not isinstance(body, dict):
                problems.append(msg("{path}: unknown section [{section}]; known: {known}", path=str(path),
                                    section=section, known=", ".join(f"[{k}]" for k in PROJECT_KEYS)))
                continue
            for key, value in body.items():
                expected = PROJECT_KEYS[section].get(key)
                if key == "url" and section == "store":
                    problems.append(msg("{path}: [store] url: a URL (and its password) never goes in a file; name "
                                        "the environment variable holding it: url_env = \"HOPNHAT_STORE_URL\"",
                                        path=str(path)))
                elif expected is None:
                    problems.append(msg("{path}: [{section}] unknown key {key}; known: {known}", path=str(path),
                                        section=section, key=repr(key), known=", ".join(PROJECT_KEYS[section])))
                elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                    problems.append(msg("{path}: [{section}] {key} must be {kind}, got {value}", path=str(path),
                                        section=section, key=key, kind=expected.__name__, value=repr(value)))
        def get(section: str, key: str) -> Any:
            table = doc.get(section)
            return table.get(key) if isinstance(table, dict) else None
        base = path.resolve().parent
        url_env = get("store", "url_env")
        if isinstance(url_env, str) and not _ENV_NAME.match(url_env):
            problems.append(msg("{path}: [store] url_env must name an environment variable, got {value}",
                                path=str(path), value=repr(url_env)))
        profiles = get("run", "profiles") or []
        if isinstance(profiles, list):
            for item in profiles:
                if not isinstance(item, str):
                    problems.append(msg("{path}: [run] profiles must be file names, got {value}", path=str(path),
                                        value=repr(item)))
                elif not (base / item).is_file():
                    problems.append(msg("{path}: [run] profile {file} not found (relative to {base})",
                                        path=str(path), file=item, base=str(base)))
        for key in ("split_rules", "remaps"):
            value = get("run", key)
            if isinstance(value, str) and not (base / value).is_file():
                problems.append(msg("{path}: [run] {key} file {file} not found (relative to {base})",
                                    path=str(path), key=key, file=value, base=str(base)))
        for key in ("batch_size", "workers"):
            value = get("run", key)
            if isinstance(value, int) and not isinstance(value, bool) and value < 1:
                problems.append(msg("{path}: [run] {key} must be at least 1, got {value}", path=str(path),
                                    key=key, value=str(value)))
        earliest = get("run", "earliest_date")
        if isinstance(earliest, str) and _iso_date(earliest) is None:
            problems.append(msg("{path}: [run] earliest_date must be a date (YYYY-MM-DD), got {value}",
                                path=str(path), value=repr(earliest)))
        if problems:
            raise ConfigError(problems)

        def rel(value: object) -> Path | None:
            return base / value if isinstance(value, str) else None

        return cls(
            path=path, store_url_env=url_env, files_dir=rel(get("store", "files_dir")),
            profiles=tuple(base / p for p in profiles if isinstance(p, str)),
            split_rules=rel(get("run", "split_rules")), remaps=rel(get("run", "remaps")),
            batch_size=get("run", "batch_size"), workers=get("run", "workers"),
            default_part_policy=get("run", "default_part_policy"), report_dir=rel(get("reconcile", "out")),
            earliest_date=earliest if isinstance(earliest, str) else None,
        )



def _project_keys() -> dict[str, dict[str, type]]:
    """Section -> key -> expected TOML type, from the fields of :class:`Project` (never a second list)."""
    keys: dict[str, dict[str, type]] = {}
    for f in dataclasses.fields(Project):
        if "toml" in f.metadata:
            section, key, kind = f.metadata["toml"]
            keys.setdefault(section, {})[key] = kind
    return keys


PROJECT_KEYS = _project_keys()

DELTA_MARGIN = 3600.0  # seconds: clocks of application servers and transactions committing late (migrate.delta)


@dataclass(frozen=True)
class SourceSettings:
    profile: SourceProfile
    url: str = field(repr=False)
    files_root: Path | None

    @property
    def name(self) -> str:
        return self.profile.name


@dataclass(frozen=True)
class Settings:
    store_url: str = field(repr=False)
    files_dir: Path
    sources: tuple[SourceSettings, ...] = ()
    batch_size: int = 1000
    max_attempts: int = 3
    workers: int = 1
    split_rules: Path | None = None
    remaps: Path | None = None  # province's agency/procedure remap table (CSV)
    default_part_policy: bool = False
    operator: str = "hopnhat"
    dates: DateRange = DateRange()  # plausible dates; others are quarantined (rule date:implausible)
    full: bool = False  # read every part in full even where a delta would do (hopnhat run --full)
    delta_margin: float = DELTA_MARGIN  # seconds a delta reads before the last watermark (see migrate.delta)

    @classmethod
    def load(
        cls,
        profiles: Sequence[str | Path] = (),
        *,
        store: str | None = None,
        files_dir: str | Path | None = None,
        source_urls: Mapping[str, str] | None = None,
        batch_size: int | None = None,
        workers: int | None = None,
        split_rules: str | Path | None = None,
        remaps: str | Path | None = None,
        default_part_policy: bool | None = None,
        earliest_date: str | None = None,
        full: bool = False,
        delta_margin: float | None = None,
        environ: Mapping[str, str] | None = None,
        project: Project | None = None,
    ) -> Settings:
        """Flags (the arguments) > environment > project file (``hopnhat.toml``) > defaults."""
        env = os.environ if environ is None else environ
        problems: list[str] = []
        store_url = store or env.get("HOPNHAT_STORE_URL")
        if not store_url and project is not None and project.store_url_env:
            store_url = env.get(project.store_url_env)
            if not store_url:
                problems.append(msg("store: {path} names {variable} for the store URL, and it is not set; "
                                    "export it (or pass --store)", path=str(project.path),
                                    variable=project.store_url_env))
        store_url = store_url or DEFAULT_STORE
        try:
            parsed = make_url(store_url)
        except ArgumentError:
            problems.append(msg("store URL is not a database URL: {url}", url=repr(hide_credentials(store_url))))
            parsed = None
        p = project or Project(Path(PROJECT_FILE))
        if files_dir is None:
            files_dir = env.get("HOPNHAT_FILES_DIR") or p.files_dir or _default_files_dir(parsed)
        sources = []
        for path in profiles:
            try:
                profile = load_profile(path)
            except ConfigError as exc:
                problems += exc.problems
                continue
            url = (source_urls or {}).get(profile.name) or env.get(profile.url_env)
            if not url:
                problems.append(msg("source {source}: no URL; set {variable} (or pass --source) to the URL of the "
                                    "legacy database", source=profile.name, variable=profile.url_env))
                continue
            root = env.get(profile.files_root_env) if profile.files_root_env else None
            sources.append(SourceSettings(profile, url, Path(root) if root else profile.files_root))
        names = [s.name for s in sources]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(msg("source name {source} is used by two profiles; names must be unique", source=name))
        size = batch_size if batch_size is not None else int(env.get("HOPNHAT_BATCH_SIZE") or p.batch_size or 1000)
        if size < 1:
            problems.append(msg("batch size must be at least 1, got {value}", value=str(size)))
        count = workers if workers is not None else int(env.get("HOPNHAT_WORKERS") or p.workers or 1)
        if count < 1:
            problems.append(msg("workers must be at least 1, got {value}", value=str(count)))
        split_rules = split_rules or env.get("HOPNHAT_SPLIT_RULES") or p.split_rules
        if split_rules and not Path(split_rules).is_file():
            problems.append(msg("split rules file {file} not found", file=str(split_rules)))
        remaps = remaps or env.get("HOPNHAT_REMAPS") or p.remaps
        if remaps and not Path(remaps).is_file():
            problems.append(msg("agency/procedure remap table {file} not found", file=str(remaps)))
        earliest = earliest_date or env.get("HOPNHAT_EARLIEST_DATE") or p.earliest_date
        dates = DateRange()
        if earliest:
            day = _iso_date(earliest)
            if day is None:
                problems.append(msg("earliest plausible date {value} is not a date (YYYY-MM-DD)", value=repr(earliest)))
            else:
                dates = DateRange(earliest=day)
        margin = delta_margin
        if margin is None:
            text = env.get("HOPNHAT_DELTA_MARGIN")
            try:
                margin = float(text) if text else DELTA_MARGIN
            except ValueError:
                problems.append(msg("HOPNHAT_DELTA_MARGIN must be a number of seconds, got {value}",
                                    value=repr(text)))
                margin = DELTA_MARGIN
        if margin < 0:
            problems.append(msg("the delta margin must be 0 seconds or more, got {value}", value=str(margin)))
        if problems:
            raise ConfigError(problems)
        return cls(
            store_url=store_url,
            files_dir=Path(files_dir),
            sources=tuple(sources),
            batch_size=size,
            workers=count,
            split_rules=Path(split_rules) if split_rules else None,
            remaps=Path(remaps) if remaps else None,
            default_part_policy=bool(default_part_policy if default_part_policy is not None
                                     else p.default_part_policy),
            operator=env.get("HOPNHAT_OPERATOR") or env.get("USER") or "hopnhat",
            dates=dates,
            full=full,
            delta_margin=margin,
        )


def _iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _default_files_dir(url) -> str:
    """Next to an SQLite store: ``store.sqlite`` keeps its files in ``store-files/``."""
    if url is not None and url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database)
        return str(path.with_name(path.stem + "-files"))
    return "hopnhat-files"


def environment() -> dict[str, str]:
    """The process environment, for steps that pass it on (runbook commands)."""
    return dict(os.environ)


def operator(environ: Mapping[str, str] | None = None) -> str:
    """Who is running: HOPNHAT_OPERATOR, else the login name."""
    env = os.environ if environ is None else environ
    return env.get("HOPNHAT_OPERATOR") or env.get("USER") or env.get("LOGNAME") or "unknown"


def report_language(chosen: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """``--lang`` if given, else HOPNHAT_LANG, else the locale's language (LC_ALL, LC_MESSAGES, LANG): 'vi' or 'en'."""
    from migrate.core.i18n import normalize

    if chosen:
        return normalize(chosen)
    env = os.environ if environ is None else environ
    for name in ("HOPNHAT_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            return normalize(env[name])
    return normalize(None)
