"""The demo fixture (``demo.json``) and the texts its quotes are anchored in. No database here.

The fixture holds metadata and short quotes, never an article's full text (the seed articles
are others' copyrighted prose). The full text comes from the seeds folder when it is there;
without it each source gets an *excerpt* text built from its quotes alone.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sources.anchoring import find_quote
from sources.cleaning import clean_text

FIXTURE_PATH = Path(__file__).with_name("demo.json")
EXCERPT_JOINER = " […] "


class FixtureError(Exception):
    """The fixture does not fit the texts (a quote not found, a key unknown)."""


@dataclass(frozen=True)
class SeedText:
    filename: str
    text: str  # cleaned


@cache
def _read_fixture(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_fixture(path: Path = FIXTURE_PATH) -> dict:
    """A fresh copy of the fixture (callers may annotate it)."""
    return json.loads(_read_fixture(path))


def seed_texts(fixture: dict, seeds_dir: Path | None) -> dict[str, SeedText]:
    """The cleaned full text of every source whose seed file is in ``seeds_dir``."""
    if seeds_dir is None or not seeds_dir.is_dir():
        return {}
    texts = {}
    for source in fixture["sources"]:
        if source.get("seed") and (seeds_dir / source["seed"]).is_file():
            raw = (seeds_dir / source["seed"]).read_text(encoding="utf-8")
            texts[source["key"]] = SeedText(source["seed"], clean_text(raw))
    return texts


def quotes_by_source(fixture: dict) -> dict[str, list[dict]]:
    """Every quote dict (claims and evidence), grouped by the source it is taken from."""
    grouped: dict[str, list[dict]] = {source["key"]: [] for source in fixture["sources"]}
    for claim in fixture["claims"]:
        for quoted in (claim, *claim.get("evidence", ())):
            if quoted["source"] not in grouped:
                raise FixtureError(f"{claim['key']}: unknown source {quoted['source']!r}")
            grouped[quoted["source"]].append(quoted)
    return grouped


def excerpt_text(quotes: list[str]) -> str:
    """The quotes alone, in order, each once, joined by an ellipsis mark.

    A quote contained in a longer one is left out, so that every quote occurs exactly once
    in the excerpt and anchors without ambiguity.
    """
    unique = list(dict.fromkeys(q for q in quotes if q))
    kept = [q for q in unique if not any(q != other and q in other for other in unique)]
    return EXCERPT_JOINER.join(kept)


def locate(text: str, quoted: dict, *, where: str) -> tuple[int, int]:
    """Anchor a fixture quote in ``text``; the stored anchor, if still right, is taken as is.

    The demo must quote exactly: a fuzzy match would store words the source never said, so
    anything but the exact quote is an error naming it.
    """
    anchor = quoted.get("anchor") or {}
    found = find_quote(
        text,
        exact=quoted["quote"],
        prefix=anchor.get("prefix", ""),
        suffix=anchor.get("suffix", ""),
        start=anchor.get("start"),
        end=anchor.get("end"),
    )
    if found is None or found.exact != quoted["quote"]:
        raise FixtureError(f"Quote not found in {where}: {quoted['quote'][:120]!r}")
    return found.start, found.end


def write_anchors(fixture: dict, texts: dict[str, SeedText], path: Path = FIXTURE_PATH) -> int:
    """Store each quote's anchor in the cleaned seed text into the fixture file; returns how many."""
    from sources.anchoring import context_of

    count = 0
    for key, quotes in quotes_by_source(fixture).items():
        if key not in texts:
            continue
        for quoted in quotes:
            start, end = locate(texts[key].text, quoted, where=texts[key].filename)
            prefix, suffix = context_of(texts[key].text, start, end)
            quoted["anchor"] = {"start": start, "end": end, "prefix": prefix, "suffix": suffix}
            count += 1
    path.write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    _read_fixture.cache_clear()
    return count
