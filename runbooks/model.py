"""A runbook file (TOML): ordered steps, each with its command, check and rollback.

```toml
[runbook]
name = "cutover-ninhbinh"
title = "Cutover of the new Ninh Bình"

[vars]                      # ${NAME} in commands; the environment wins over these defaults
STORE = "sqlite:///cutover/store.sqlite"

[[step]]
id = "preflight-store"
title = "The store is at the latest schema"
run = "hopnhat store current --store ${STORE}"
expect_exit = 0                         # default 0
expect = ["latest (\\S+)"]              # regexes that must appear in the output (go)
refuse = ["BROKEN"]                     # regexes that must not appear (no-go)
rollback = "Nothing changed yet: stop here."
rollback_run = ""                       # optional command run by `hopnhat runbook rollback`
manual = false                          # a person does it and confirms (e.g. redirect DNS)
```
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from migrate.core.errors import ConfigError
from migrate.core.tomlcheck import Problems, keys_of
from migrate.core.messages import msg
from migrate.core.tomlfile import read_toml

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    run: str
    expect_exit: int = 0
    expect: tuple[str, ...] = ()
    refuse: tuple[str, ...] = ()
    rollback: str = ""
    rollback_run: str = ""
    manual: bool = False
    phase: str = ""
    timeout: int = 3600


@dataclass(frozen=True)
class Runbook:
    name: str
    title: str
    steps: tuple[Step, ...]
    vars: dict[str, str]
    path: Path
    sha256: str

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        known = ", ".join(s.id for s in self.steps)
        raise ConfigError(f"runbook {self.path.name} has no step '{step_id}'. Steps: {known}")


_STEP_KEYS = keys_of(Step)  # a [[step]] holds the fields of a Step


def load_runbook(path: str | Path) -> Runbook:
    path = Path(path)
    data, raw = read_toml(path, msg("runbook"))
    problems = Problems(msg("runbook {path}", path=str(path)))
    head = problems.table("[runbook]", data.get("runbook") or {})
    if not head.get("name"):
        problems.add("[runbook]", msg("needs a name"))
    steps = []
    seen: set[str] = set()
    for n, raw_step in enumerate(data.get("step") or [], start=1):
        where = msg("step {n}", n=str(n))
        raw_step = problems.table(where, raw_step)
        unknown = problems.unknown(where, raw_step, _STEP_KEYS)
        step_id = str(raw_step.get("id", ""))
        if not _ID.match(step_id):
            problems.add(where, msg("id must be lower-case words joined by '-', got {value}", value=repr(step_id)))
        elif step_id in seen:
            problems.add(where, msg("id '{id}' is used twice", id=step_id))
        seen.add(step_id)
        if not raw_step.get("run") and not raw_step.get("manual"):
            problems.add(msg("{where} ({id})", where=where, id=step_id), msg("needs 'run' (a command) or manual = true"))
        for pattern in [*raw_step.get("expect", []), *raw_step.get("refuse", [])]:
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.add(msg("{where} ({id})", where=where, id=step_id), msg("bad pattern {pattern}: {problem}", pattern=repr(pattern),
                                                         problem=str(exc)))
        if unknown or not _ID.match(step_id):
            continue
        steps.append(Step(
            id=step_id, title=str(raw_step.get("title", step_id)), run=str(raw_step.get("run", "")),
            expect_exit=int(raw_step.get("expect_exit", 0)), expect=tuple(raw_step.get("expect", ())),
            refuse=tuple(raw_step.get("refuse", ())), rollback=str(raw_step.get("rollback", "")),
            rollback_run=str(raw_step.get("rollback_run", "")), manual=bool(raw_step.get("manual", False)),
            phase=str(raw_step.get("phase", "")), timeout=int(raw_step.get("timeout", 3600)),
        ))
    if not steps and not problems:
        problems.add("", msg("no [[step]]"))
    problems.raise_any()
    return Runbook(name=head["name"], title=str(head.get("title", head["name"])), steps=tuple(steps),
                   vars={k: str(v) for k, v in (data.get("vars") or {}).items()}, path=path,
                   sha256=hashlib.sha256(raw).hexdigest())
