"""`manage.py demo`: the demo data set, built through the services, loaded twice."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from claims.demo.fixture import FIXTURE_PATH, load_fixture
from claims.models import (
    Claim,
    ClaimRelation,
    ClaimStatus,
    Evidence,
    RelationKind,
    Review,
    ReviewDecision,
    Stance,
    Verdict,
    VerdictStatus,
)
from claims.selectors import claim_history
from sources.cleaning import clean_text
from sources.models import Citation, Snapshot, SnapshotOrigin, Source

pytestmark = pytest.mark.django_db

SEEDS = Path(settings.SEEDS_DIR)
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"no seed articles at {SEEDS}")
SEED_KEYS = [s["key"] for s in load_fixture()["sources"] if s["seed"]]
PASSWORD_LINE = re.compile(r"Log in as (\S+) with password (\S+)")
LONGEST_SEED_RUN = 400


def run_demo(*args: str, **options) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Source, Snapshot, Citation, Claim, Evidence, Verdict, Review, ClaimRelation)
    } | {"users": get_user_model().objects.count()}


def demo_source(fixture_key: str) -> Source:
    spec = next(s for s in load_fixture()["sources"] if s["key"] == fixture_key)
    return Source.objects.get(title=spec["title"])


def assert_every_anchor_matches() -> None:
    for quoted in [*Claim.objects.select_related("snapshot"), *Evidence.objects.select_related("snapshot")]:
        assert quoted.snapshot.text[quoted.start : quoted.end] == quoted.exact


@needs_seeds
def test_demo_from_the_seeds_is_complete_and_loads_once():
    first = run_demo(seeds=SEEDS)
    loaded = counts()
    second = run_demo(seeds=SEEDS)

    assert counts() == loaded
    assert "Demo data loaded" in first and "already present, nothing added" in second

    # The five articles, in full (cleaned) text, plus the SIPRI excerpt they cite.
    for key in SEED_KEYS:
        snapshot = demo_source(key).current_snapshot
        assert snapshot.origin == SnapshotOrigin.UPLOAD
        assert snapshot.extraction["cleaned_by"] == "sources.cleaning"
        assert snapshot.extraction["seed"].endswith(f"_{key}.txt")
        assert snapshot.claims.exists(), f"no claim from {key}"
    sipri = Source.objects.get(kind="report")
    assert sipri.current_snapshot.origin == SnapshotOrigin.EXCERPT
    assert Citation.objects.filter(cited=sipri, citing=demo_source("b67101d95b303c24")).exists()
    assert Source.objects.get(title="Armenia's Fair-Weather Allies").published_on.isoformat() == "2016-04-06"

    assert Claim.objects.count() >= 15
    assert Claim.objects.values("claimant").distinct().count() >= 4
    assert set(Evidence.objects.values_list("stance", flat=True)) == set(Stance.values)
    assert_every_anchor_matches()
    # The author's typo survives the clean-up: a claim is a quote.
    assert Claim.objects.filter(exact__contains="Wager mercenaries").exists()

    # A claim in one article contradicted by a passage of another article.
    belarus = Claim.objects.get(exact__startswith="Belarus was the second-largest arms supplier")
    contradicting = belarus.evidence.filter(stance=Stance.CONTRADICTS).select_related("snapshot")
    assert any(e.snapshot.source_id == demo_source("b67101d95b303c24").pk for e in contradicting)
    assert ClaimRelation.objects.filter(from_claim=belarus, kind=RelationKind.CONTRADICTS).exists()

    # Published after review by a second user.
    approvals = Review.objects.filter(
        decision=ReviewDecision.APPROVE, verdict__status=VerdictStatus.PUBLISHED
    ).select_related("verdict")
    assert any(review.reviewer_id != review.verdict.author_id for review in approvals)

    # Corrected after publication, with a public note, approved by the second editor.
    superseded = Verdict.objects.get(claim=belarus, status=VerdictStatus.SUPERSEDED)
    correction = Verdict.objects.get(claim=belarus, status=VerdictStatus.PUBLISHED)
    assert correction.corrects == superseded and correction.public_note
    assert correction.rating.slug == "mostly-false" and superseded.rating.slug == "half-true"
    correction_review = correction.reviews.get()
    assert correction_review.reviewer.username == "demo-editor-2"
    actors = {entry.actor_name for entry in claim_history(belarus)}
    assert {"demo-reviewer", "demo-editor", "demo-editor-2"} <= actors

    # Verdicts across the scale, and work left in every queue.
    assert Verdict.objects.values("rating").distinct().count() >= 5
    assert {VerdictStatus.DRAFT, VerdictStatus.IN_REVIEW, VerdictStatus.APPROVED} <= set(
        Verdict.objects.values_list("status", flat=True)
    )
    assert {ClaimStatus.DRAFT, ClaimStatus.IN_REVIEW, ClaimStatus.APPROVED, ClaimStatus.PUBLISHED} <= set(
        Claim.objects.values_list("status", flat=True)
    )
    assert Review.objects.filter(decision=ReviewDecision.SEND_BACK).exists()


def test_without_seeds_every_source_is_a_labelled_excerpt(tmp_path):
    missing = tmp_path / "no-seeds-here"
    first = run_demo(seeds=missing)
    loaded = counts()
    run_demo(seeds=missing)

    assert counts() == loaded
    assert "No seeds folder" in first
    assert Source.objects.count() == len(load_fixture()["sources"])
    for snapshot in Snapshot.objects.all():
        assert snapshot.origin == SnapshotOrigin.EXCERPT and snapshot.is_excerpt
        assert snapshot.extraction["excerpt"] is True
        assert "Excerpt" in snapshot.extraction["label"]
    assert " […] " in demo_source("7052989edaff5068").current_snapshot.text
    assert_every_anchor_matches()
    assert Verdict.objects.filter(status=VerdictStatus.SUPERSEDED).exists()


@pytest.mark.django_db(transaction=True)
def test_the_history_of_the_corrected_claim_reads_in_workflow_order(tmp_path):
    """Each workflow step commits on its own, so the audit times order the story."""
    run_demo(seeds=tmp_path)
    belarus = Claim.objects.get(exact__startswith="Belarus was the second-largest arms supplier")
    history = claim_history(belarus)

    def first(model: str, change: tuple | None = None) -> dt.datetime:
        return next(
            e.at
            for e in history
            if e.model == model and (change is None or e.changes.get("status") == change)
        )

    assert first("claim") == first("evidence")  # the reviewer's one step: claim and its evidence
    steps = [
        first("claim"),
        first("verdict", (None, "draft")),
        first("verdict", ("draft", "in_review")),
        first("verdict", ("in_review", "approved")),
        first("verdict", ("approved", "published")),
        first("verdict", ("published", "superseded")),
    ]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert [e.at for e in history] == sorted(e.at for e in history)


def test_passwords_are_printed_only_when_set(tmp_path):
    User = get_user_model()
    first = dict(PASSWORD_LINE.findall(run_demo(seeds=tmp_path)))
    assert set(first) == {"demo-editor", "demo-reviewer", "demo-editor-2"}
    editor = User.objects.get(username="demo-editor")
    assert editor.check_password(first["demo-editor"]) and editor.is_staff
    assert editor.groups.filter(name="Editor").exists()
    assert User.objects.get(username="demo-reviewer").groups.filter(name="Reviewer").exists()

    again = run_demo(seeds=tmp_path)
    assert not PASSWORD_LINE.search(again)
    assert "demo-editor (Editor) exists; password unchanged" in again
    editor.refresh_from_db()
    assert editor.check_password(first["demo-editor"])

    reset = dict(PASSWORD_LINE.findall(run_demo("--reset-passwords", seeds=tmp_path)))
    editor.refresh_from_db()
    assert reset["demo-editor"] != first["demo-editor"]
    assert editor.check_password(reset["demo-editor"]) and not editor.check_password(first["demo-editor"])


def test_second_run_only_checks(tmp_path, django_assert_max_num_queries):
    run_demo(seeds=tmp_path)
    # Roles, three accounts and the presence check: no work in proportion to the data set.
    with django_assert_max_num_queries(60):
        run_demo(seeds=tmp_path)


@needs_seeds
def test_a_quote_that_is_not_in_its_source_fails_loudly_and_writes_nothing(monkeypatch):
    fixture = load_fixture()
    fixture["claims"][-1]["evidence"].append(
        {"source": SEED_KEYS[-1], "quote": "words the author never wrote", "stance": "context", "note": ""}
    )
    monkeypatch.setattr("claims.demo.loader.load_fixture", lambda: fixture)
    with pytest.raises(CommandError, match="words the author never wrote"):
        run_demo(seeds=SEEDS)
    assert not Source.objects.exists() and not get_user_model().objects.exists()


# --- Copyright guard: the repository keeps quotes, never the articles ------------------------


def fixture_strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in fixture_strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in fixture_strings(value)]
    return []


def longest_covered_run(text: str, pieces: list[str], min_piece: int = 20) -> int:
    """The longest stretch of ``text`` that ``pieces`` (placed wherever they occur) cover."""
    covered = bytearray(len(text))
    for piece in {p for p in pieces if len(p) >= min_piece}:
        at = text.find(piece)
        while at != -1:
            covered[at : at + len(piece)] = b"\x01" * len(piece)
            at = text.find(piece, at + 1)
    longest = run = 0
    for flag in covered:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return longest


def test_the_guard_catches_a_long_passage():
    text = "x" * 50 + "y" * 500
    assert longest_covered_run(text, ["y" * 300, "x" * 50 + "y" * 200]) == 550


def test_fixture_quotes_are_short():
    fixture = load_fixture()
    for claim in fixture["claims"]:
        for quoted in (claim, *claim["evidence"]):
            assert len(quoted["quote"]) <= LONGEST_SEED_RUN, quoted["quote"][:60]
            anchor = quoted.get("anchor", {})
            assert len(anchor.get("prefix", "")) <= 64 and len(anchor.get("suffix", "")) <= 64


@needs_seeds
@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.glob("*.txt")) if SEEDS.is_dir() else [])
def test_fixture_never_holds_a_long_run_of_a_seed(seed):
    pieces = [*fixture_strings(load_fixture()), FIXTURE_PATH.read_text(encoding="utf-8")]
    raw = (SEEDS / seed).read_text(encoding="utf-8")
    for text in (raw, clean_text(raw)):
        assert longest_covered_run(text, pieces) <= LONGEST_SEED_RUN
