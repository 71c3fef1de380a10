"""manage.py synth: the synthetic benchmark corpus respects every rule the schema enforces."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from claims.models import Claim, Claimant, ClaimEvent, Evidence, Review, Topic, Verdict, VerdictEvidence
from claims.selectors import claim_history
from sources.models import Snapshot, Source
from tests.factories import EvidenceFactory, VerdictFactory

pytestmark = pytest.mark.django_db

SYNTHETIC_CLAIMS = Claim.objects.filter(snapshot__source__notes="synthetic")


def scalar(sql: str, params: tuple = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def synth(**options) -> None:
    call_command("synth", verbosity=0, **options)


# Each query counts the rows that break one rule; every count must be 0.
INVARIANTS = {
    "claim anchor": """
        SELECT count(*) FROM claims_claim c JOIN sources_snapshot s ON s.id = c.snapshot_id
        WHERE substring(s.text FROM c.start + 1 FOR c."end" - c.start) <> c.exact
           OR substring(s.text FROM c.start + 1 - length(c.prefix) FOR length(c.prefix)) <> c.prefix
           OR substring(s.text FROM c."end" + 1 FOR length(c.suffix)) <> c.suffix
    """,
    "evidence anchor": """
        SELECT count(*) FROM claims_evidence e JOIN sources_snapshot s ON s.id = e.snapshot_id
        WHERE substring(s.text FROM e.start + 1 FOR e."end" - e.start) <> e.exact
           OR substring(s.text FROM e.start + 1 - length(e.prefix) FOR length(e.prefix)) <> e.prefix
    """,
    "evidence from the claim's own source": """
        SELECT count(*) FROM claims_evidence e
        JOIN sources_snapshot es ON es.id = e.snapshot_id
        JOIN claims_claim c ON c.id = e.claim_id JOIN sources_snapshot cs ON cs.id = c.snapshot_id
        WHERE es.source_id = cs.source_id
    """,
    "snapshot hash": """
        SELECT count(*) FROM sources_snapshot
        WHERE sha256 <> encode(sha256(convert_to(text, 'UTF8')), 'hex')
    """,
    "source without its snapshot as current": """
        SELECT count(*) FROM sources_source src
        WHERE NOT EXISTS (SELECT 1 FROM sources_snapshot s
                          WHERE s.id = src.current_snapshot_id AND s.source_id = src.id)
    """,
    "published claim without exactly one published verdict": """
        SELECT count(*) FROM claims_claim c WHERE c.status = 'published'
          AND (SELECT count(*) FROM claims_verdict v WHERE v.claim_id = c.id AND v.status = 'published') <> 1
    """,
    "public claim without publication dates": """
        SELECT count(*) FROM claims_claim
        WHERE status IN ('published', 'retracted')
          AND (published_at IS NULL OR public_changed_at IS NULL OR public_changed_at < published_at)
    """,
    "retracted claim without note, date or retracted verdict": """
        SELECT count(*) FROM claims_claim c WHERE c.status = 'retracted'
          AND (c.retraction_note = '' OR c.retracted_at IS NULL
               OR NOT EXISTS (SELECT 1 FROM claims_verdict v WHERE v.claim_id = c.id AND v.status = 'retracted')
               OR EXISTS (SELECT 1 FROM claims_verdict v WHERE v.claim_id = c.id AND v.status = 'published'))
    """,
    "unpublished claim with a published verdict or dates": """
        SELECT count(*) FROM claims_claim c WHERE c.status NOT IN ('published', 'retracted')
          AND (c.published_at IS NOT NULL OR c.public_changed_at IS NOT NULL
               OR EXISTS (SELECT 1 FROM claims_verdict v WHERE v.claim_id = c.id
                          AND v.status IN ('published', 'superseded', 'retracted')))
    """,
    "in-review or approved claim without a verdict in that state": """
        SELECT count(*) FROM claims_claim c WHERE c.status IN ('in_review', 'approved')
          AND NOT EXISTS (SELECT 1 FROM claims_verdict v WHERE v.claim_id = c.id AND v.status = c.status)
    """,
    "more than one verdict in progress": """
        SELECT count(*) FROM (SELECT claim_id FROM claims_verdict
                              WHERE status IN ('draft', 'in_review', 'approved')
                              GROUP BY claim_id HAVING count(*) > 1) open
    """,
    "correction without its note or a superseded predecessor": """
        SELECT count(*) FROM claims_verdict v WHERE v.corrects_id IS NOT NULL
          AND (v.public_note = '' OR NOT EXISTS (
                SELECT 1 FROM claims_verdict p WHERE p.id = v.corrects_id
                  AND p.claim_id = v.claim_id AND p.status = 'superseded'))
    """,
    "superseded verdict nobody corrected": """
        SELECT count(*) FROM claims_verdict p WHERE p.status = 'superseded'
          AND NOT EXISTS (SELECT 1 FROM claims_verdict v WHERE v.corrects_id = p.id)
    """,
    "verdict past review without an approval by someone else": """
        SELECT count(*) FROM claims_verdict v
        WHERE v.status IN ('approved', 'published', 'superseded', 'retracted')
          AND (v.approved_at IS NULL OR v.submitted_at IS NULL OR NOT EXISTS (
                SELECT 1 FROM claims_review r WHERE r.verdict_id = v.id AND r.decision = 'approve'
                  AND r.reviewer_id <> v.author_id))
    """,
    "review by the verdict's author": """
        SELECT count(*) FROM claims_review r JOIN claims_verdict v ON v.id = r.verdict_id
        WHERE r.reviewer_id = v.author_id
    """,
    "verdict resting on another claim's evidence": """
        SELECT count(*) FROM claims_verdictevidence ve
        JOIN claims_verdict v ON v.id = ve.verdict_id JOIN claims_evidence e ON e.id = ve.evidence_id
        WHERE v.claim_id <> e.claim_id
    """,
    "timestamps out of order": """
        SELECT count(*) FROM claims_verdict v JOIN claims_claim c ON c.id = v.claim_id
        WHERE v.created_at < c.created_at OR v.submitted_at < v.created_at
           OR v.approved_at < v.submitted_at OR v.published_at < v.approved_at
           OR c.published_at > now()
    """,
}


def assert_invariants() -> None:
    broken = {rule: n for rule, sql in INVARIANTS.items() if (n := scalar(sql))}
    assert broken == {}


def test_counts_in_proportion():
    synth(claims=300, seed=7)

    assert SYNTHETIC_CLAIMS.count() == 300
    assert Source.objects.filter(notes="synthetic").count() == 30  # one per 10 claims
    assert Snapshot.objects.filter(source__notes="synthetic").count() == 30
    assert Claimant.objects.filter(slug__startswith="synthetic-").count() == 6  # one per 50
    assert Topic.objects.filter(slug__startswith="synthetic-").count() == 16
    evidence = Evidence.objects.count()
    assert 2 * 300 <= evidence <= 4 * 300
    per_claim = set(Claim.objects.annotate(n=Count("evidence")).values_list("n", flat=True))
    assert per_claim <= {2, 3, 4}
    verdicts = Verdict.objects.count()
    assert 0.8 * 300 < verdicts < 1.2 * 300  # 1–2 per rated claim, a few claims still unrated
    assert Verdict.objects.values("claim").distinct().count() < 300
    assert Review.objects.count() > 0.8 * verdicts
    assert VerdictEvidence.objects.count() >= verdicts
    # Mostly published; some of every other state.
    statuses = dict(Claim.objects.values_list("status").annotate(n=Count("id")))
    assert statuses["published"] > 0.6 * 300
    assert set(statuses) == {"draft", "in_review", "approved", "published", "retracted"}
    verdict_statuses = set(Verdict.objects.values_list("status", flat=True))
    assert verdict_statuses == {"draft", "in_review", "approved", "published", "superseded", "retracted"}


def test_every_constraint_and_workflow_rule_holds():
    synth(claims=300, seed=7, batch=70)  # several batches, the last one short
    assert SYNTHETIC_CLAIMS.count() == 300
    assert_invariants()


def test_lifecycle_replays_the_workflow_into_the_history():
    synth(claims=120, seed=3, batch=50, lifecycle=True)
    assert_invariants()

    corrected = Verdict.objects.filter(corrects__isnull=False).select_related("claim").first()
    assert corrected is not None
    history = claim_history(corrected.claim)
    reasons = [entry.reason for entry in history]
    for reason in (
        "claim created",
        "evidence added",
        "verdict proposed",
        "verdict submitted for review",
        "verdict approved",
        "claim published",
        "new figures published",
    ):
        assert reason in reasons
    claim_events = [e for e in history if e.model == "claim" and e.object_id == corrected.claim_id]
    assert [e.action for e in claim_events][:2] == ["created", "changed"]
    assert claim_events[-1].changes.get("public changed at")
    assert all(e.actor_name.startswith("synth-") for e in history if e.reason != "claimant added")


def test_every_row_has_an_audit_event_with_an_actor_and_reason():
    synth(claims=100, seed=11)
    claim_ids = set(SYNTHETIC_CLAIMS.values_list("id", flat=True))
    events = ClaimEvent.objects.filter(pgh_obj_id__in=claim_ids).select_related("pgh_context")
    assert {e.pgh_obj_id for e in events} == claim_ids
    assert {(e.pgh_label, e.pgh_context.metadata["reason"]) for e in events} == {("insert", "claim created")}
    assert all(e.pgh_context.metadata["username"].startswith("synth-") for e in events)
    assert scalar("SELECT count(*) FROM claims_evidenceevent") == Evidence.objects.count()
    assert scalar("SELECT count(*) FROM claims_reviewevent") == Review.objects.count()

    published = SYNTHETIC_CLAIMS.filter(status="published").first()
    models = {entry.model for entry in claim_history(published)}
    assert {"claim", "evidence", "verdict", "review"} <= models


def test_clear_removes_the_corpus_and_only_it():
    own = VerdictFactory()  # a real claim, source, claimant and reviewer
    synth(claims=300, seed=7)
    synth(clear=True)

    assert list(Claim.objects.all()) == [own.claim]
    assert list(Verdict.objects.all()) == [own]
    assert list(Source.objects.all()) == [own.claim.snapshot.source]
    assert not Topic.objects.filter(slug__startswith="synthetic-").exists()
    assert not Claimant.objects.filter(slug__startswith="synthetic-").exists()
    assert not Evidence.objects.exists() and not Review.objects.exists()
    assert not get_user_model().objects.filter(username__startswith="synth-").exists()
    # History is append-only: the deletions are in it too.
    assert ClaimEvent.objects.filter(pgh_label="delete").count() == 300

    synth(clear=True)  # nothing left to clear: still fine
    assert list(Claim.objects.all()) == [own.claim]
    synth(claims=50, seed=7, clear=True)  # and a new corpus after a clear
    assert SYNTHETIC_CLAIMS.count() == 50
    assert_invariants()


def test_same_seed_same_corpus():
    synth(claims=60, seed=42)
    first = list(SYNTHETIC_CLAIMS.order_by("id").values_list("statement", "exact", "status"))
    synth(claims=60, seed=42, clear=True)
    assert list(SYNTHETIC_CLAIMS.order_by("id").values_list("statement", "exact", "status")) == first
    synth(claims=60, seed=43, clear=True)
    assert list(SYNTHETIC_CLAIMS.order_by("id").values_list("statement", "exact", "status")) != first


def test_the_corpus_is_ordinary_data_for_the_orm_and_full_text_search():
    synth(claims=300, seed=7)
    assert Claim.objects.filter(status="published").count() > 0
    claim = (
        Claim.objects.filter(status="published")
        .select_related("claimant", "snapshot__source")
        .prefetch_related("evidence", "verdicts__rating")
        .first()
    )
    published = [v for v in claim.verdicts.all() if v.status == "published"]
    assert len(published) == 1 and published[0].rating.label
    assert claim.snapshot.text[claim.start : claim.end] == claim.exact
    assert claim.evidence.all() and claim.claimant.name
    # The vocabulary gives full-text search something to find, and not everything.
    matches = scalar(
        "SELECT count(*) FROM claims_claim "
        "WHERE to_tsvector('english', statement) @@ plainto_tsquery('english', 'arms imports')"
    )
    assert 0 < matches < 300


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "--claims N"),
        ({"claims": -1}, "0 or more"),
        ({"claims": 10, "batch": 0}, "at least 1"),
        ({"claims": 10, "jobs": 0}, "at least 1"),
    ],
)
def test_bad_arguments_are_refused(options, message):
    with pytest.raises(CommandError, match=message):
        synth(**options)
    assert not Claim.objects.exists()


def test_the_invariant_checks_catch_a_broken_corpus():
    """The checks above are not vacuous: break one rule the schema cannot see and one fails."""
    synth(claims=100, seed=7)
    claim = SYNTHETIC_CLAIMS.filter(status="published").first()
    Claim.objects.filter(pk=claim.pk).update(status="approved", published_at=None, public_changed_at=None)
    with pytest.raises(AssertionError, match="unpublished claim with a published verdict"):
        assert_invariants()


def test_bench_ensure_corpus_makes_it_once():
    import bench

    assert bench.ensure_corpus(40) == 40
    ids = set(SYNTHETIC_CLAIMS.values_list("id", flat=True))
    assert bench.ensure_corpus(40) == 40
    assert set(SYNTHETIC_CLAIMS.values_list("id", flat=True)) == ids  # kept, not regenerated
    assert bench.ensure_corpus(30) == 30  # another size replaces it
    assert not ids & set(SYNTHETIC_CLAIMS.values_list("id", flat=True))


def test_clear_refuses_when_real_rows_refer_to_the_corpus(reviewer):
    synth(claims=30, seed=7)
    synthetic_snapshot = Snapshot.objects.filter(source__notes="synthetic").first()
    # A real claim whose evidence quotes a synthetic snapshot: deleting that snapshot would
    # break the evidence, so nothing may be deleted.
    EvidenceFactory(snapshot=synthetic_snapshot, quote=synthetic_snapshot.text[:40])
    with pytest.raises(CommandError, match="Nothing was deleted"):
        synth(clear=True)
    assert SYNTHETIC_CLAIMS.count() == 30


def test_the_corpus_does_not_depend_on_how_it_is_batched():
    """Batches are seeded by their index: the same seed and batch size give the same corpus
    whatever the number of processes (which may write batches in any order)."""
    synth(claims=90, seed=5, batch=30)
    first = sorted(SYNTHETIC_CLAIMS.values_list("statement", "exact", "status"))
    synth(claims=90, seed=5, batch=30, clear=True)
    assert sorted(SYNTHETIC_CLAIMS.values_list("statement", "exact", "status")) == first


def test_jobs_refused_inside_a_transaction():
    # Other processes cannot see this test's transaction; the command says so.
    with pytest.raises(CommandError, match="not inside a transaction"):
        synth(claims=10, jobs=2)
