"""Settings: built once at the CLI edge (flags > environment > profile), validated whole.

This is the only module that reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from adapters.profiles import SourceProfile, load_profile
from migrate.core.errors import ConfigError

DEFAULT_STORE = "sqlite:///hopnhat.sqlite"


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
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        env = os.environ if environ is None else environ
        problems: list[str] = []
        store_url = store or env.get("HOPNHAT_STORE_URL") or DEFAULT_STORE
        try:
            parsed = make_url(store_url)
        except ArgumentError:
            problems.append(f"store URL is not a database URL: {store_url.split('@')[-1]!r}")
            parsed = None
        if files_dir is None:
            files_dir = env.get("HOPNHAT_FILES_DIR") or _default_files_dir(parsed)
        sources = []
        for path in profiles:
            try:
                profile = load_profile(path)
            except ConfigError as exc:
                problems += exc.problems
                continue
            url = (source_urls or {}).get(profile.name) or env.get(profile.url_env)
            if not url:
                problems.append(
                    f"source {profile.name}: no URL; set {profile.url_env} (or pass --source) "
                    f"to the URL of the legacy database"
                )
                continue
            root = env.get(profile.files_root_env) if profile.files_root_env else None
            sources.append(SourceSettings(profile, url, Path(root) if root else profile.files_root))
        names = [s.name for s in sources]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"source name {name} is used by two profiles; names must be unique")
        size = batch_size if batch_size is not None else int(env.get("HOPNHAT_BATCH_SIZE", "1000"))
        if size < 1:
            problems.append(f"batch size must be at least 1, got {size}")
        count = workers if workers is not None else int(env.get("HOPNHAT_WORKERS", "1"))
        if count < 1:
            problems.append(f"workers must be at least 1, got {count}")
        split_rules = split_rules or env.get("HOPNHAT_SPLIT_RULES")
        if split_rules and not Path(split_rules).is_file():
            problems.append(f"split rules file {split_rules} not found")
        remaps = remaps or env.get("HOPNHAT_REMAPS")
        if remaps and not Path(remaps).is_file():
            problems.append(f"agency/procedure remap table {remaps} not found")
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
            default_part_policy=bool(default_part_policy),
            operator=env.get("HOPNHAT_OPERATOR") or env.get("USER") or "hopnhat",
        )


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
