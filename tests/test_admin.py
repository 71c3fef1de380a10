"""The admin: every model registered, changelists without N+1, audited saves, history pages."""

import pytest
from django.urls import reverse

from claims import services
from claims.models import Claim, ClaimEvent, ClaimStatus
from sources.models import Snapshot, Source, SourceEvent
from tests.factories import (
    ClaimantFactory,
    ClaimFactory,
    EvidenceFactory,
    SnapshotFactory,
    TopicFactory,
    VerdictFactory,
    default_rating,
)

pytestmark = pytest.mark.django_db


def _corpus(reviewer, editor, n: int = 6) -> list[Claim]:
    """``n`` claims, each with evidence, a topic and a verdict, some published."""
    claims = []
    topic = TopicFactory()
    for i in range(n):
        claim = ClaimFactory(claimant=ClaimantFactory(), created_by=reviewer)
        claim.topics.add(topic)
        EvidenceFactory(claim=claim)
        verdict = services.verdict_propose(
            actor=reviewer, claim=claim, rating=default_rating(), rationale=f"Per SIPRI ({i})."
        )
        if i % 2:
            services.verdict_submit(actor=reviewer, verdict=verdict)
            services.verdict_approve(actor=editor, verdict=verdict, comment="ok")
            services.claim_publish(actor=editor, claim=claim)
        claims.append(claim)
    return claims


CHANGELISTS = [
    "sources_source",
    "sources_snapshot",
    "sources_citation",
    "claims_claimant",
    "claims_topic",
    "claims_claim",
    "claims_claimrelation",
    "claims_claimtopic",
    "claims_evidence",
    "claims_ratingscale",
    "claims_rating",
    "claims_verdict",
    "claims_verdictevidence",
    "claims_review",
]


@pytest.mark.parametrize("name", CHANGELISTS)
def test_changelists_load_without_n_plus_one(client, reviewer, editor, name, django_assert_max_num_queries):
    _corpus(reviewer, editor)
    client.force_login(editor)
    url = reverse(f"admin:{name}_changelist")
    # Session, user, permissions, count, rows, filters: a fixed number whatever the row count.
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.status_code == 200


def test_claim_changelist_queries_do_not_grow_with_rows(client, reviewer, editor, django_assert_num_queries):
    _corpus(reviewer, editor, n=2)
    client.force_login(editor)
    url = reverse("admin:claims_claim_changelist")
    client.get(url)  # warm caches (content types, permissions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _corpus(reviewer, editor, n=8)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert response.context["cl"].result_count == 10


def test_claim_list_shows_status_verdict_and_evidence(client, reviewer, editor):
    claim = _corpus(reviewer, editor, n=2)[1]
    client.force_login(reviewer)
    response = client.get(reverse("admin:claims_claim_changelist"))
    html = response.content.decode()
    assert 'class="fc-badge fc-status-published">Published<' in html
    assert "Mostly false" in html
    assert claim.snapshot.source.title in html


def test_change_pages_of_every_model_load(client, reviewer, editor):
    claim = _corpus(reviewer, editor, n=2)[1]
    verdict = claim.verdicts.get()
    evidence = claim.evidence.get()
    client.force_login(editor)
    for name, pk in [
        ("claims_claim", claim.pk),
        ("claims_verdict", verdict.pk),
        ("claims_evidence", evidence.pk),
        ("claims_claimant", claim.claimant_id),
        ("sources_source", claim.snapshot.source_id),
        ("sources_snapshot", claim.snapshot_id),
        ("claims_review", verdict.reviews.get().pk),
    ]:
        response = client.get(reverse(f"admin:{name}_change", args=[pk]))
        assert response.status_code == 200, name


def test_snapshot_and_review_are_read_only_even_for_administrators(client, administrator, reviewer, editor):
    claim = _corpus(reviewer, editor, n=2)[1]
    client.force_login(administrator)
    page = client.get(reverse("admin:sources_snapshot_change", args=[claim.snapshot_id]))
    assert page.context["has_change_permission"] is False
    review = claim.verdicts.get().reviews.get()
    page = client.get(reverse("admin:claims_review_change", args=[review.pk]))
    assert page.context["has_change_permission"] is False
    response = client.post(reverse("admin:claims_review_delete", args=[review.pk]), {"post": "yes"})
    assert response.status_code == 403


def test_claim_form_keeps_workflow_and_anchor_read_only(client, reviewer):
    claim = ClaimFactory()
    client.force_login(reviewer)
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    form = response.context["adminform"].form
    assert set(form.fields) == {"statement", "slug", "claimant", "made_on", "change_reason"}


def test_admin_edit_needs_a_reason_and_records_actor_and_reason(client, reviewer):
    claim = ClaimFactory()
    client.force_login(reviewer)
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = {
        "statement": "Belarus ranked second among Azerbaijan's arms suppliers.",
        "slug": claim.slug,
        "claimant": claim.claimant_id,
        "made_on": "",
        "claimtopic_set-TOTAL_FORMS": "0",
        "claimtopic_set-INITIAL_FORMS": "0",
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
        "relations_out-TOTAL_FORMS": "0",
        "relations_out-INITIAL_FORMS": "0",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "change_reason" in refused.context["adminform"].form.errors
    claim.refresh_from_db()
    assert claim.statement.startswith("Belarus was")

    saved = client.post(url, {**data, "change_reason": "clearer wording"})
    assert saved.status_code == 302
    claim.refresh_from_db()
    assert claim.statement.startswith("Belarus ranked")
    event = ClaimEvent.objects.filter(pgh_obj_id=claim.pk, pgh_label="update").latest("pgh_id")
    assert event.pgh_context.metadata["reason"] == "clearer wording"
    assert event.pgh_context.metadata["user"] == reviewer.pk


def test_source_add_normalises_url_and_is_audited(client, reviewer):
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:sources_source_add"),
        {
            "title": "SIPRI fact sheet",
            "kind": "report",
            "url": "HTTPS://www.sipri.org/fact-sheet/?utm_source=x",
            "language": "en",
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    source = Source.objects.get(title="SIPRI fact sheet")
    assert source.url == "https://www.sipri.org/fact-sheet"
    assert source.created_by == reviewer
    event = SourceEvent.objects.get(pgh_obj_id=source.pk, pgh_label="insert")
    assert event.pgh_context.metadata["user"] == reviewer.pk


def test_snapshot_paste_goes_through_the_service(client, reviewer):
    source = SnapshotFactory().source
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:sources_snapshot_add"),
        {
            "source": source.pk,
            "origin": "paste",
            "text": "A new text.\n\nSecond paragraph.",
            "change_reason": "re-pasted",
        },
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.current_snapshot.text == "A new text.\n\nSecond paragraph."
    assert Snapshot.objects.filter(source=source).count() == 2


def test_verdict_edit_goes_through_verdict_update_and_only_for_drafts(client, reviewer, editor):
    verdict = VerdictFactory(author=reviewer)
    client.force_login(reviewer)
    url = reverse("admin:claims_verdict_change", args=[verdict.pk])
    data = {
        "rating": default_rating("false").pk,
        "rationale": "Rewritten.",
        "change_reason": "stronger evidence",
        "verdictevidence_set-TOTAL_FORMS": "0",
        "verdictevidence_set-INITIAL_FORMS": "0",
        "reviews-TOTAL_FORMS": "0",
        "reviews-INITIAL_FORMS": "0",
    }
    assert client.post(url, data).status_code == 302
    verdict.refresh_from_db()
    assert verdict.rationale == "Rewritten." and verdict.rating.slug == "false"

    services.verdict_submit(actor=reviewer, verdict=verdict)
    page = client.get(url)
    assert "rationale" not in page.context["adminform"].form.fields
    client.post(url, {**data, "rationale": "Sneaky."})
    verdict.refresh_from_db()
    assert verdict.rationale == "Rewritten."


def test_add_claim_and_evidence_lead_to_the_annotation_workspace(client, reviewer):
    client.force_login(reviewer)
    for name in ("claims_claim", "claims_evidence"):
        response = client.get(reverse(f"admin:{name}_add"))
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:sources_source_changelist")


# --- History -------------------------------------------------------------------------------


def test_claim_history_shows_actor_reason_and_diff_of_related_rows(client, reviewer, editor):
    claim = ClaimFactory(created_by=reviewer)
    EvidenceFactory(claim=claim)
    verdict = services.verdict_propose(
        actor=reviewer, claim=claim, rating=default_rating(), rationale="First."
    )
    services.verdict_update(actor=reviewer, verdict=verdict, rationale="Second.", reason="typo in rationale")
    services.verdict_submit(actor=reviewer, verdict=verdict)
    services.verdict_send_back(actor=editor, verdict=verdict, comment="Cite SIPRI's table.")
    client.force_login(editor)
    response = client.get(reverse("admin:claims_claim_history", args=[claim.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "typo in rationale" in html
    assert "rita-reviewer" in html and "ed-editor" in html
    assert "<del>First.</del>" in html and "<ins>Second.</ins>" in html
    assert "Cite SIPRI&#x27;s table." in html
    models = {e.model for e in response.context["entries"]}
    assert {"claim", "evidence", "verdict", "review"} <= models


def test_history_of_any_object_and_escaping(client, reviewer):
    claimant = services.claimant_create(actor=reviewer, name="<script>alert(1)</script>")
    client.force_login(reviewer)
    response = client.get(reverse("admin:claims_claimant_history", args=[claimant.pk]))
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "claimant added" in html


def test_history_needs_view_permission(client, outsider):
    claim = ClaimFactory()
    client.force_login(outsider)
    assert client.get(reverse("admin:claims_claim_history", args=[claim.pk])).status_code == 403


# --- Desk ----------------------------------------------------------------------------------


def test_desk_queues(client, reviewer, editor, second_editor, django_assert_max_num_queries):
    own = ClaimFactory(created_by=editor)
    mine = services.verdict_propose(actor=editor, claim=own, rating=default_rating(), rationale="Mine.")
    services.verdict_submit(actor=editor, verdict=mine)
    theirs_claim = ClaimFactory(created_by=reviewer)
    theirs = services.verdict_propose(
        actor=reviewer, claim=theirs_claim, rating=default_rating(), rationale="R."
    )
    services.verdict_submit(actor=reviewer, verdict=theirs)
    orphan = ClaimFactory(is_orphaned=True, statement="An orphaned one.")
    client.force_login(editor)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("admin:claims_desk"))
    assert response.status_code == 200
    assert [v.pk for v in response.context["awaiting_review"]] == [theirs.pk]
    assert orphan in response.context["orphan_claims"]
    counts = {s["status"]: s["count"] for s in response.context["claims_by_status"]}
    assert counts[ClaimStatus.IN_REVIEW] == 2 and counts[ClaimStatus.DRAFT] == 1

    client.force_login(reviewer)
    response = client.get(reverse("admin:claims_desk"))
    assert response.context["awaiting_review"] is None  # reviewers do not review
    assert response.context["draft_verdicts"] == []


def test_desk_refuses_outsiders(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("admin:claims_desk")).status_code == 403


def test_index_links_to_the_desk(client, reviewer):
    client.force_login(reviewer)
    html = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:claims_desk") in html
