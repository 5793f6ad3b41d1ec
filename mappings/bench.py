"""Benchmark: accuracy and throughput of the resolver, on one core.

``python -m mappings.bench`` prints:

- code lookups per second and accuracy on the official table (every old commune code;
  a split commune is right when it goes to review with exactly its parts as candidates);
- free-text addresses per second and accuracy on a generated set: every old commune
  rendered as address text in several styles (full names, abbreviations P./X./TT./Q./H./
  TX./TP./T., no diacritics, decomposed Unicode, lower case without commas, cells
  separated by tabs), and with one typing slip in the commune, district or province name
  (a letter doubled or dropped, a digit inside a word, a tone mark changed; a slip that
  spells another unit of the same scope, or spells it once marks are left out as people
  often do, is not generated, since no reader could tell);
- on the real addresses of ``mappings/data/bench/real-addresses.csv`` (see :mod:`mappings.corpus`:
  each row with its public source, the old commune it names and the expected new commune from the
  official table), hopnhat and, when installed (``pip install 'hopnhat[bench]'``), the
  vietnamadminunits library side by side: right / review / wrong per held-out/dev part and per
  kind of writing, and addresses per second.

"Wrong" counts answers that name a commune the official table does not allow: the
number that must stay at zero. Unresolved answers go to review and are counted apart.

Rates are items per second of this process's CPU time (``time.process_time``), each item
distinct and every resolver fresh, so a busy machine slows the wall clock but not the figure;
pin the run to one core (``taskset -c 1 python -m mappings.bench``) so it is per core. A fixed
pure-Python workload timed the same way is printed first: figures from two runs compare in
proportion to it.
"""

from __future__ import annotations

import argparse
import csv
import random
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mappings import corpus
from mappings.address import strip_type
from mappings.rules import Resolver, UnitRef
from mappings.text import fold_key, name_key, strip_marks
from mappings.units import OldUnit, UnitTable
from migrate.core.figures import Figure
from migrate.core.i18n import Language, language
from migrate.core.messages import N_, Message, msg, say

REAL = corpus.CORPUS

_COMMUNE_ABBR = {"Phường": "P.", "Xã": "X.", "Thị trấn": "TT."}
_DISTRICT_ABBR = {"Quận": "Q.", "Huyện": "H.", "Thị xã": "TX.", "Thành phố": "TP."}
_PROVINCE_ABBR = {"Tỉnh": "T.", "Thành phố": "TP."}


@dataclass(frozen=True)
class Score:
    name: str
    total: int
    right: int
    wrong: int
    review: int
    seconds: float

    def line(self, lang: Language | None = None, width: int = 34) -> str:
        """One line of the table, its name ``width`` wide, in ``lang`` (English by default, as the README quotes it)."""
        lang = lang or language()
        rate = self.total / self.seconds if self.seconds else float("inf")
        name = say(self.name, lang).ljust(width)
        return say(msg("{name} {total} items  {right}% right  {wrong} wrong  {review} to review  {rate}/s",
                       name=name, total=Figure(self.total, ">7"),
                       right=Figure(100 * self.right / max(self.total, 1), "6.2f"), wrong=Figure(self.wrong, ">4"),
                       review=Figure(self.review, ">5"), rate=Figure(rate, ">10,.0f")), lang)


def _abbreviate(name: str, table: dict[str, str]) -> str:
    for word, abbr in table.items():
        if name.startswith(word + " "):
            rest = name[len(word) + 1:]
            return f"{abbr}{rest}" if rest[:1].isdigit() else f"{abbr} {rest}"
    return name


def variants(o: OldUnit) -> list[tuple[str, str]]:
    """(style, address text) renderings of one old unit."""
    full = f"{o.commune_name}, {o.district_name}, {o.province_name}"
    abbr = ", ".join((_abbreviate(o.commune_name, _COMMUNE_ABBR), _abbreviate(o.district_name, _DISTRICT_ABBR),
                      _abbreviate(o.province_name, _PROVINCE_ABBR)))
    return [
        ("full", full),
        ("abbreviated", abbr),
        ("no-diacritics", strip_marks(full).title().replace("D ", "D")),
        ("decomposed", unicodedata.normalize("NFD", full)),
        ("bare-names", f"{strip_type(o.commune_name)}, {strip_type(o.district_name)}, {strip_type(o.province_name)}"),
        ("lowercase-no-commas", f"{o.commune_name} {o.district_name} {o.province_name}".lower()),
        ("tab-separated", f"{o.commune_name}\t{o.district_name}\t{o.province_name}"),
    ]


_TONES = {"a": "àáảãạ", "ă": "ằắẳẵặ", "â": "ầấẩẫậ", "e": "èéẻẽẹ", "ê": "ềếểễệ", "i": "ìíỉĩị", "o": "òóỏõọ",
          "ô": "ồốổỗộ", "ơ": "ờớởỡợ", "u": "ùúủũụ", "ư": "ừứửữự", "y": "ỳýỷỹỵ"}
_TONE_OF = {c: base + tones for base, tones in _TONES.items() for c in base + tones}
SLIPS = (N_("doubled letter"), N_("dropped letter"), N_("digit in a word"), N_("wrong tone mark"))
_STYLES = (N_("full"), N_("abbreviated"), N_("no-diacritics"), N_("decomposed"), N_("bare-names"),
           N_("lowercase-no-commas"), N_("tab-separated"))  # the styles of variants(), said where shown


def slip(name: str, kind: str, rng: random.Random) -> str | None:
    """``name`` with one typing slip of ``kind`` in its bare name (the type word kept)."""
    bare = strip_type(name)
    head = name[:len(name) - len(bare)]
    letters = [i for i, c in enumerate(bare) if c.isalpha()][1:]
    if len(letters) < 2:
        return None
    i = rng.choice(letters)
    if kind == "doubled letter":
        return head + bare[:i] + bare[i] + bare[i:]
    if kind == "dropped letter":
        return head + bare[:i] + bare[i + 1:]
    if kind == "digit in a word":
        return head + bare[:i] + str(rng.randint(0, 9)) + bare[i:]
    vowels = [j for j, c in enumerate(bare) if c in _TONE_OF]
    if not vowels:
        return None
    j = rng.choice(vowels)
    return head + bare[:j] + rng.choice([c for c in _TONE_OF[bare[j]] if c != bare[j]]) + bare[j + 1:]


def slipped(table: UnitTable, o: OldUnit, rng: random.Random) -> list[tuple[str, str]]:
    """(slip, address text) for one old unit: each slip once in the commune, district, province."""
    scopes = ([name_key(strip_type(x.commune_name)) for x in table.old_communes(o.province_code)
               if x.district_code == o.district_code],
              [name_key(strip_type(x.district_name)) for x in table.old_communes(o.province_code)],
              [name_key(strip_type(n)) for n in table.old_provinces().values()])
    folded = [{strip_marks(k) for k in scope} for scope in scopes]
    out = []
    for kind in SLIPS:
        for level in range(3):
            names = [o.commune_name, o.district_name, o.province_name]
            typed = slip(names[level], kind, rng)
            if typed is None or name_key(strip_type(typed)) in scopes[level]:
                continue
            typed_fold, own_fold = fold_key(strip_type(typed)), fold_key(strip_type(names[level]))
            if typed_fold != own_fold and typed_fold in folded[level]:
                continue   # another unit of the scope written without marks ("Ea Bia" → "Ea Ba" is Ea Bá)
            names[level] = typed
            out.append((kind, ", ".join(names)))
    return out


def _judge(resolver: Resolver, items: Iterable[tuple[UnitRef, frozenset[str]]], name: str) -> Score:
    """Right: the one expected commune, or review when review is expected (``{"review"}``) or when
    the old commune was split (several expected codes) and the decision names exactly those parts.
    Wrong: a commune outside the expected set, or a guess where review is expected."""
    items = list(items)
    right = wrong = review = 0
    start = time.process_time()
    decisions = [resolver.resolve(ref) for ref, _ in items]
    seconds = time.process_time() - start
    for d, (_, expected) in zip(decisions, items):
        if d.resolved:
            if d.new_commune in expected:
                right += 1
            else:
                wrong += 1
        else:
            review += 1
            if expected == {"review"} or (len(expected) > 1 and set(d.candidates) == expected):
                right += 1
    return Score(name, len(items), right, wrong, review, seconds)


def official(table: UnitTable, make: Callable[[], Resolver]) -> Score:
    items = [(UnitRef(commune_code=o.commune_code), frozenset(p.new.code for p in table.parts(o.commune_code)))
             for o in table.old_communes() if o.commune_code]
    return _judge(make(), items, msg("official table, by code"))


def generated(table: UnitTable, make: Callable[[], Resolver], *, sample: int | None, seed: int) -> list[Score]:
    units = [o for o in table.old_communes() if o.commune_code]
    if sample:
        units = random.Random(seed).sample(units, min(sample, len(units)))
    by_style: dict[str, list[tuple[UnitRef, frozenset[str]]]] = {}
    rng = random.Random(seed)
    for o in units:
        expected = frozenset(p.new.code for p in table.parts(o.commune_code))
        for style, text in variants(o) + [(f"slip: {k}", t) for k, t in slipped(table, o, rng)]:
            by_style.setdefault(style, []).append((UnitRef(address=text), expected))
    scores = [_judge(make(), items, msg("generated: {style}", style=_style(style)))
              for style, items in by_style.items()]
    all_items = [it for items in by_style.values() for it in items]
    scores.append(_judge(make(), all_items, msg("generated: all styles")))
    return scores


def _style(style: str) -> Message:
    """A generated style's name (``full``, ``slip: dropped letter``) as a message said in the reader's language."""
    if style.startswith("slip: "):
        return msg("slip: {kind}", kind=msg(style[len("slip: "):]))
    return msg(style)


def _verdict(resolved: str | None, candidates: frozenset[str], expected: frozenset[str]) -> str:
    """right / review / wrong for one answer (see :func:`_judge`)."""
    if resolved is not None:
        return "right" if resolved in expected else "wrong"
    if expected == {"review"} or (len(expected) > 1 and candidates == expected):
        return "right"
    return "review"


@dataclass(frozen=True)
class Tally:
    """right / review / wrong counts of one resolver on one slice of the real corpus."""

    right: int = 0
    review: int = 0
    wrong: int = 0

    def add(self, verdict: str) -> Tally:
        return Tally(self.right + (verdict == "right"), self.review + (verdict == "review"),
                     self.wrong + (verdict == "wrong"))

    @property
    def total(self) -> int:
        return self.right + self.review + self.wrong

    def cell(self, lang: Language | None = None) -> str:
        pct = 100 * self.right / max(self.total, 1)
        return f"{say(Figure(pct, '6.1f'), lang or language())}% {self.right:>5} {self.review:>5} {self.wrong:>4}"


def _hopnhat(table: UnitTable) -> Callable[[list[str]], list[tuple[str | None, frozenset[str]]]]:
    resolver = Resolver(table).ready()       # built before the clock starts, like the other library's tables

    def run(addresses: list[str]) -> list[tuple[str | None, frozenset[str]]]:
        return [(d.new_commune, frozenset(d.candidates)) for d in map(resolver.resolve_address, addresses)]
    return run


def _other_library() -> Callable[[list[str]], list[tuple[str | None, frozenset[str]]]] | None:
    """vietnamadminunits (``pip install 'hopnhat[bench]'``), compared on the same addresses."""
    try:
        from vietnamadminunits import convert_address
    except ImportError:
        return None

    def run(addresses: list[str]) -> list[tuple[str | None, frozenset[str]]]:
        out: list[tuple[str | None, frozenset[str]]] = []
        for text in addresses:
            try:
                code = convert_address(text).ward_code
            except Exception:  # noqa: BLE001 - a failure of the other library is its review
                code = None
            out.append((code or None, frozenset()))
        return out
    return run


def real(table: UnitTable, path: Path = REAL, lang: Language | None = None) -> list[str]:
    """Lines comparing hopnhat with vietnamadminunits on the real-address corpus, per part and kind, in ``lang``
    (the corpus's parts and kinds as it names them, "all" said in ``lang``)."""
    lang = lang or language()
    if not path.exists():
        return []
    rows = corpus.load(path)
    addresses = [r["address"] for r in rows]
    expected = [frozenset(r["expected_new_commune"].split(";")) for r in rows]
    runners = {"hopnhat": _hopnhat(table)}
    other = _other_library()
    if other is not None:
        runners["vietnamadminunits"] = other
    tallies: dict[str, dict[tuple[str, str], Tally]] = {}
    rates: dict[str, float] = {}
    for name, run in runners.items():
        start = time.process_time()
        answers = run(addresses)
        rates[name] = len(addresses) / max(time.process_time() - start, 1e-9)
        t: dict[tuple[str, str], Tally] = {}
        for r, (code, cands), exp in zip(rows, answers, expected):
            v = _verdict(code, cands, exp)
            for key in ((r["part"], "all"), (r["part"], r["kind"]), ("all", "all")):
                t[key] = t.get(key, Tally()).add(v)
        tallies[name] = t
    head = "".join(f"  {name:<25}" for name in runners)
    lines = [say(msg("real addresses ({file}, {rows} rows; per resolver: % right, right, review, wrong)",
                     file=path.name, rows=str(len(rows))), lang),
             lang.gettext(N_("part / kind")).ljust(30) + lang.gettext(N_("rows")).rjust(6) + head]
    everything = lang.gettext("all")
    keys = sorted(tallies["hopnhat"], key=lambda k: (k[0] == "all", k[0], k[1] != "all", k[1]))
    for key in keys:
        cells = "".join(f"  {tallies[n].get(key, Tally()).cell(lang):<25}" for n in runners)
        named = " / ".join(everything if k == "all" else k for k in key)
        lines.append(f"{named:<30}{tallies['hopnhat'][key].total:>6}{cells}")
    lines.append(lang.gettext(N_("addresses/s (CPU time, one core)")).ljust(36)
                 + "".join(f"  {say(Figure(rates[n], '>25,.0f'), lang)}" for n in runners))
    if other is None:
        lines.append(say(msg("vietnamadminunits not installed (pip install 'hopnhat[bench]'): hopnhat alone"), lang))
    return lines


def baseline(n: int = 2_000_000) -> float:
    """Million steps per CPU second of a fixed pure-Python loop (the yardstick for the rates)."""
    start = time.process_time()
    total = 0
    for i in range(n):
        total += i * i % 7
    return n / 1e6 / (time.process_time() - start)


def main(argv: list[str] | None = None, lang: Language | None = None) -> int:
    """Print the figures, in ``lang`` (English by default: ``python -m mappings.bench`` speaks English)."""
    lang = lang or language()
    parser = argparse.ArgumentParser(prog="python -m mappings.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=None, help="old units in the generated set (default: all)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    table = UnitTable.load()
    print(say(msg("baseline: a fixed Python loop runs {steps} M steps per CPU second here",
                  steps=Figure(baseline(), ".1f")), lang))
    start = time.process_time()
    built = Resolver(table).ready()
    print(say(msg("table {version} sha256 {sha}…; resolver built in {seconds}s CPU (rates below: CPU time, "
                  "no cache hits: each item is distinct)", version=table.version, sha=table.sha256[:16],
                  seconds=Figure(time.process_time() - start, ".2f")), lang))

    def make() -> Resolver:  # each slice starts with no decision kept; the indexes are built once
        return built.afresh()

    scores = [official(table, make), *generated(table, make, sample=args.sample, seed=args.seed)]
    width = max(34, *(len(say(s.name, lang)) for s in scores))  # a Vietnamese name may be longer
    for s in scores:
        print(s.line(lang, width))
    resolver = make()
    refs = [UnitRef(commune_code=o.commune_code) for o in table.old_communes() if o.commune_code]
    for ref in refs:
        resolver.resolve(ref)
    start = time.process_time()
    for _ in range(10):
        for ref in refs:
            resolver.resolve(ref)
    rate = 10 * len(refs) / (time.process_time() - start)
    cached = lang.gettext(N_("cached code lookups (repeat inputs)")).ljust(width)
    print(say(msg("{name} {total} items  {rate}/s", name=cached, total=Figure(10 * len(refs), ">7"),
                  rate=Figure(rate, ">58,.0f")), lang))
    print()
    for line in real(table, lang=lang):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
