"""The claim page's workflow actions through the admin's HTTP endpoints, per role.

Each action is tried by every persona on a claim in the state the action needs. Allowed:
a redirect to the claim page with a success message and the state moved. Refused: an
error message (role refused by the service), a 403 (no access to claims at all) or the login
page (anonymous), and in every refused case not a single row or audit event written.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from claims import services
from claims.models import (
    ClaimEvent,
    ClaimStatus,
    Review,
    ReviewEvent,
    Verdict,
    VerdictEvent,
    VerdictStatus,
)
from tests.factories import ClaimFactory, EditorFactory, EvidenceFactory, ReviewerFactory, default_rating

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(db):
    """The reviewer who writes the verdicts under test (nobody else in the matrix)."""
    return ReviewerFactory(username="vera-author")


@pytest.fixture
def publisher(db):
    """An editor who approves the verdicts set up for later states."""
    return EditorFactory(username="pia-publisher")


def _draft(author):
    claim = ClaimFactory()
    return claim, services.verdict_propose(actor=author, claim=claim, rating=default_rating(), rationale="R.")


def _in_review(author):
    claim, verdict = _draft(author)
    services.verdict_submit(actor=author, verdict=verdict)
    return claim, verdict


def _approved(author, publisher):
    claim, verdict = _in_review(author)
    services.verdict_approve(actor=publisher, verdict=verdict)
    return claim, verdict


def _published(author, publisher):
    claim, verdict = _approved(author, publisher)
    services.claim_publish(actor=publisher, claim=claim)
    return claim, verdict


def _correction_ready(author, publisher):
    claim, _ = _published(author, publisher)
    correction = services.verdict_propose(
        actor=author, claim=claim, rating=default_rating("false"), rationale="New data."
    )
    services.verdict_submit(actor=author, verdict=correction)
    services.verdict_approve(actor=publisher, verdict=correction)
    return claim, correction


# action -> (set-up, POST data, check that it happened)
SCENARIOS = {
    "propose": (
        lambda a, p: (ClaimFactory(), None),
        lambda v: {"rating": default_rating().pk, "rationale": "Per SIPRI.", "reason": ""},
        lambda claim, v: claim.verdicts.filter(status=VerdictStatus.DRAFT).exists(),
    ),
    "submit": (
        lambda a, p: _draft(a),
        lambda v: {"verdict": v.pk, "reason": ""},
        lambda claim, v: Verdict.objects.get(pk=v.pk).status == VerdictStatus.IN_REVIEW,
    ),
    "approve": (
        lambda a, p: _in_review(a),
        lambda v: {"verdict": v.pk, "comment": "Sound."},
        lambda claim, v: Verdict.objects.get(pk=v.pk).status == VerdictStatus.APPROVED,
    ),
    "send_back": (
        lambda a, p: _in_review(a),
        lambda v: {"verdict": v.pk, "comment": "Cite the table."},
        lambda claim, v: Verdict.objects.get(pk=v.pk).status == VerdictStatus.DRAFT,
    ),
    "publish": (
        lambda a, p: _approved(a, p),
        lambda v: {"reason": ""},
        lambda claim, v: type(claim).objects.get(pk=claim.pk).status == ClaimStatus.PUBLISHED,
    ),
    "correct": (
        lambda a, p: _correction_ready(a, p),
        lambda v: {"verdict": v.pk, "public_note": "Rating lowered.", "reason": "New SIPRI data"},
        lambda claim, v: Verdict.objects.get(pk=v.pk).status == VerdictStatus.PUBLISHED,
    ),
    "retract": (
        lambda a, p: _published(a, p),
        lambda v: {"public_note": "Withdrawn.", "reason": "Quote misread"},
        lambda claim, v: type(claim).objects.get(pk=claim.pk).status == ClaimStatus.RETRACTED,
    ),
}

# Who may do what: "ok", "refused" (service says no: error message), "forbidden" (403), "login".
MATRIX = {
    "reviewer": {
        "propose": "ok",
        "submit": "refused",
        "approve": "refused",
        "send_back": "refused",
        "publish": "refused",
        "correct": "refused",
        "retract": "refused",
    },
    "editor": dict.fromkeys(SCENARIOS, "ok"),
    "administrator": dict.fromkeys(SCENARIOS, "ok"),
    "outsider": dict.fromkeys(SCENARIOS, "forbidden"),
    "anonymous": dict.fromkeys(SCENARIOS, "login"),
}


def _fingerprint(claim) -> tuple:
    """Everything an action could write: rows and audit events."""
    return (
        type(claim).objects.get(pk=claim.pk).status,
        tuple(Verdict.objects.filter(claim=claim).order_by("pk").values_list("status", flat=True)),
        Review.objects.count(),
        ClaimEvent.objects.count(),
        VerdictEvent.objects.count(),
        ReviewEvent.objects.count(),
    )


@pytest.mark.parametrize("action", list(SCENARIOS))
@pytest.mark.parametrize("role", list(MATRIX))
def test_permission_matrix(client, request, role, action, author, publisher):
    setup, data, happened = SCENARIOS[action]
    claim, verdict = setup(author, publisher)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    url = reverse("admin:claims_claim_workflow", args=[claim.pk, action])
    before = _fingerprint(claim)

    response = client.post(url, data(verdict))

    expected = MATRIX[role][action]
    if expected == "ok":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:claims_claim_change", args=[claim.pk]))
        levels = [m.level_tag for m in get_messages(response.wsgi_request)]
        assert levels == ["success"], [str(m) for m in get_messages(response.wsgi_request)]
        assert happened(claim, verdict)
        return
    if expected == "refused":
        assert response.status_code == 302
        texts = [str(m) for m in get_messages(response.wsgi_request)]
        assert len(texts) == 1 and "role does not allow" in texts[0]
    elif expected == "forbidden":
        assert response.status_code == 403
    else:
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert _fingerprint(claim) == before
    assert not happened(claim, verdict)


def test_workflow_endpoints_refuse_get(client, editor):
    claim = ClaimFactory()
    client.force_login(editor)
    assert client.get(reverse("admin:claims_claim_workflow", args=[claim.pk, "publish"])).status_code == 405


def test_unknown_action_is_404(client, editor):
    claim = ClaimFactory()
    client.force_login(editor)
    assert client.post(reverse("admin:claims_claim_workflow", args=[claim.pk, "explode"])).status_code == 404


def _offered(client, claim) -> list[str]:
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert response.status_code == 200
    return [a.spec.name for a in response.context["workflow"].actions]


def test_page_offers_only_what_the_user_can_do(client, reviewer, editor, author, publisher):
    claim, _verdict = _in_review(author)
    client.force_login(reviewer)
    assert _offered(client, claim) == []
    client.force_login(editor)
    assert _offered(client, claim) == ["approve", "send_back"]
    client.force_login(author)
    assert _offered(client, claim) == []
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert "nobody reviews their own verdict" in response.content.decode()

    published, _ = _published(author, publisher)
    client.force_login(editor)
    assert _offered(client, published) == ["propose", "retract"]
    client.force_login(reviewer)
    assert _offered(client, published) == ["propose"]


def test_an_editor_cannot_approve_their_own_verdict_even_by_forged_post(client, editor):
    claim, verdict = _in_review(editor)
    client.force_login(editor)
    assert "approve" not in _offered(client, claim)
    before = _fingerprint(claim)
    response = client.post(
        reverse("admin:claims_claim_workflow", args=[claim.pk, "approve"]), {"verdict": verdict.pk}
    )
    assert response.status_code == 302
    assert "Nobody reviews their own verdict" in str(next(iter(get_messages(response.wsgi_request))))
    assert _fingerprint(claim) == before


def test_refused_form_comes_back_with_its_input_and_error(client, editor, author):
    claim, verdict = _in_review(author)
    client.force_login(editor)
    url = reverse("admin:claims_claim_workflow", args=[claim.pk, "send_back"])
    before = _fingerprint(claim)
    response = client.post(url, {"verdict": verdict.pk, "comment": "   "})
    assert response.status_code == 302
    assert _fingerprint(claim) == before
    page = client.get(response["Location"])
    send_back = next(a for a in page.context["workflow"].actions if a.spec.name == "send_back")
    assert send_back.open and "comment" in send_back.form.errors


def test_verdict_from_another_claim_is_refused_as_a_form_error(client, editor, author):
    _claim, verdict = _in_review(author)
    other, _ = _in_review(author)
    client.force_login(editor)
    before = _fingerprint(other)
    response = client.post(
        reverse("admin:claims_claim_workflow", args=[other.pk, "approve"]), {"verdict": verdict.pk}
    )
    assert response.status_code == 302
    assert _fingerprint(other) == before
    assert Verdict.objects.get(pk=verdict.pk).status == VerdictStatus.IN_REVIEW


def test_propose_with_evidence_and_the_audit_trail_names_the_actor(client, reviewer):
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:claims_claim_workflow", args=[claim.pk, "propose"]),
        {
            "rating": default_rating().pk,
            "rationale": "SIPRI.",
            "evidence": [evidence.pk],
            "reason": "first pass",
        },
    )
    assert response.status_code == 302
    verdict = claim.verdicts.get()
    assert list(verdict.evidence.all()) == [evidence]
    event = VerdictEvent.objects.get(pgh_obj_id=verdict.pk, pgh_label="insert")
    assert event.pgh_context.metadata["user"] == reviewer.pk
    assert event.pgh_context.metadata["reason"] == "first pass"


def test_claim_page_query_count_is_bounded(client, editor, author, publisher, django_assert_max_num_queries):
    claim, _ = _correction_ready(author, publisher)
    for _ in range(3):
        EvidenceFactory(claim=claim)
    client.force_login(editor)
    with django_assert_max_num_queries(40):
        response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert response.status_code == 200
