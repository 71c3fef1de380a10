"""Finding quotes in snapshot text: the W3C TextQuote/TextPosition selectors, in practice.

``find_quote`` tries, in order: the given offsets, the exact text (disambiguated by
prefix/suffix when it occurs more than once), the prefix/suffix context around a changed
quote, and a fuzzy match above a similarity threshold. It never guesses below the threshold:
``None`` means the quote is not in the text and the caller must flag it.
"""

from dataclasses import dataclass

from rapidfuzz import fuzz

from factcheck.errors import DomainError
from sources.models import AnchorMethod

CONTEXT_CHARS = 32
DEFAULT_FUZZY_THRESHOLD = 85.0


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str
    method: str
    score: float = 100.0


def context_of(text: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> tuple[str, str]:
    """The prefix and suffix around ``text[start:end]``."""
    return text[max(0, start - chars) : start], text[end : end + chars]


def anchor_at(text: str, start: int, end: int, method: str, score: float = 100.0) -> Anchor:
    prefix, suffix = context_of(text, start, end)
    return Anchor(start, end, text[start:end], prefix, suffix, method, score)


def validate_anchor(text: str, *, exact: str, start: int, end: int) -> None:
    """Raise a DomainError unless ``exact`` is exactly ``text[start:end]``."""
    if not exact.strip():
        raise DomainError("The quote is empty: select some text.", field="exact")
    if not 0 <= start < end <= len(text):
        raise DomainError(
            f"The quote's position [{start}, {end}) is outside the snapshot (length {len(text)}).",
            field="start",
        )
    if text[start:end] != exact:
        raise DomainError(
            "The quote does not match the snapshot text at the given position; "
            "the snapshot may have changed since the page was loaded.",
            field="exact",
        )


def _context_score(text: str, start: int, end: int, prefix: str, suffix: str) -> float:
    score = 0.0
    if prefix:
        score += fuzz.ratio(text[max(0, start - len(prefix)) : start], prefix)
    if suffix:
        score += fuzz.ratio(text[end : end + len(suffix)], suffix)
    return score


def _occurrences(text: str, needle: str) -> list[int]:
    found, at = [], text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def find_quote(
    text: str,
    *,
    exact: str,
    prefix: str = "",
    suffix: str = "",
    start: int | None = None,
    end: int | None = None,
    fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD,
) -> Anchor | None:
    """Find ``exact`` in ``text``; see the module docstring for the order of attempts."""
    if not exact:
        return None
    if start is not None and end is not None and text[start:end] == exact:
        return anchor_at(text, start, end, AnchorMethod.GIVEN)

    positions = _occurrences(text, exact)
    if len(positions) == 1:
        return anchor_at(text, positions[0], positions[0] + len(exact), AnchorMethod.EXACT)
    if positions:
        # The same words occur more than once: the context decides, then nearness to the old
        # position.
        def rank(pos: int) -> tuple[float, int]:
            distance = abs(pos - start) if start is not None else 0
            return (-_context_score(text, pos, pos + len(exact), prefix, suffix), distance)

        best = min(positions, key=rank)
        return anchor_at(text, best, best + len(exact), AnchorMethod.CONTEXT)

    # The quote itself changed: look for it between its old prefix and suffix.
    if prefix and suffix:
        for pre_at in _occurrences(text, prefix):
            quote_start = pre_at + len(prefix)
            suf_at = text.find(suffix, quote_start)
            if suf_at == -1 or suf_at - quote_start > 2 * len(exact) or suf_at == quote_start:
                continue
            candidate = text[quote_start:suf_at]
            score = fuzz.ratio(candidate, exact)
            if score >= fuzzy_threshold:
                return anchor_at(text, quote_start, suf_at, AnchorMethod.CONTEXT, score)

    alignment = fuzz.partial_ratio_alignment(exact, text, score_cutoff=fuzzy_threshold)
    if alignment is not None and alignment.dest_end > alignment.dest_start:
        return anchor_at(text, alignment.dest_start, alignment.dest_end, AnchorMethod.FUZZY, alignment.score)
    return None
