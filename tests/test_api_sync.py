"""Incremental sync with transactions that commit concurrently with the sync.

``public_changed_at`` is taken when a service runs, not when its transaction commits, so a
transaction that commits late carries an older time than changes a client has already synced.
These tests hold a real transaction open on a second connection (a thread) while the client
syncs, and check that the late change still reaches the client, exactly once.
"""

import threading
from collections.abc import Callable, Iterator

import pytest
from django.db import connection, transaction
from django.urls import reverse

from claims import services as claim_services
from claims.models import Claim
from newsroom.models import PublicChange
from tests.api_helpers import api, keyed_client, published_claim
from tests.factories import ClaimFactory, default_rating
from tests.publishing import correct

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def key(transactional_db):
    return keyed_client()[1]


def approved_claim(reviewer, editor) -> Claim:
    claim = ClaimFactory()
    verdict = claim_services.verdict_propose(
        actor=reviewer, claim=claim, rating=default_rating("false"), rationale="Per SIPRI."
    )
    claim_services.verdict_submit(actor=reviewer, verdict=verdict)
    claim_services.verdict_approve(actor=editor, verdict=verdict)
    return claim


class HeldTransaction:
    """Runs ``work`` in a transaction on its own connection and holds it open until
    ``commit()``."""

    def __init__(self, work: Callable[[], None]) -> None:
        self.work, self.done_work, self.release = work, threading.Event(), threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            with transaction.atomic():
                self.work()
                self.done_work.set()
                assert self.release.wait(30), "never released"
        except BaseException as exc:  # reported by commit()
            self.error = exc
            self.done_work.set()
        finally:
            connection.close()

    def __enter__(self) -> "HeldTransaction":
        self.thread.start()
        assert self.done_work.wait(30)
        assert self.error is None, self.error
        return self

    def commit(self) -> None:
        self.release.set()
        self.thread.join(30)
        assert self.error is None, self.error

    def __exit__(self, *exc: object) -> None:
        if self.thread.is_alive():
            self.commit()


def sync(key: str, since: str | None, page_size: int = 50, between_pages: Callable[[], None] | None = None):
    """One sync pass: (claim ids in order, watermark of the pass)."""
    params = {"page_size": page_size}
    if since:
        params["updated_since"] = since
    url, ids, watermark = reverse("api:claim-list"), [], None
    body = api(key).get(url, params).json()
    watermark = body["sync_watermark"]
    while True:
        ids += [(c["id"], c["status"]) for c in body["results"]]
        if not body["next"]:
            return ids, watermark
        if between_pages:
            between_pages()
        body = api(key).get(body["next"]).json()


def iter_feed(key: str, after: int) -> Iterator[dict]:
    body = api(key).get(reverse("api:change-feed"), {"after": after}).json()
    yield from body["results"]


def test_a_late_commit_with_an_older_timestamp_is_not_missed(key, reviewer, editor):
    early, late = approved_claim(reviewer, editor), approved_claim(reviewer, editor)
    _, start = sync(key, None)

    with HeldTransaction(lambda: claim_services.claim_publish(actor=editor, claim=early)) as held:
        # Committed while `early` is still in flight: a later timestamp, visible first.
        claim_services.claim_publish(actor=editor, claim=late)
        first_pass, watermark = sync(key, start)
        assert first_pass == [(late.pk, "published")]
        held.commit()

    early.refresh_from_db()
    late.refresh_from_db()
    # The hazard: a client syncing by public_changed_at > (time of its last sync) would skip it.
    assert early.public_changed_at < late.public_changed_at

    second_pass, _ = sync(key, watermark)
    assert second_pass == [(early.pk, "published")]
    # Nothing is repeated once caught up.
    third_pass, _ = sync(key, sync(key, watermark)[1])
    assert third_pass == []


def test_change_feed_numbers_changes_in_commit_order(key, reviewer, editor):
    early, late = approved_claim(reviewer, editor), approved_claim(reviewer, editor)
    start = max(PublicChange.objects.values_list("seq", flat=True), default=0) or 0
    with HeldTransaction(lambda: claim_services.claim_publish(actor=editor, claim=early)) as held:
        claim_services.claim_publish(actor=editor, claim=late)
        seen = list(iter_feed(key, start))
        assert [(c["claim_id"], c["change"]) for c in seen] == [(late.pk, "published")]
        held.commit()
    rest = list(iter_feed(key, seen[-1]["seq"]))
    assert [(c["claim_id"], c["change"]) for c in rest] == [(early.pk, "published")]
    assert rest[0]["seq"] > seen[-1]["seq"]


def test_a_pass_never_returns_a_claim_twice_and_the_next_pass_catches_the_change(
    key, reviewer, editor, second_editor
):
    claims = [published_claim(reviewer, editor, evidence=0, topics=0) for _ in range(3)]
    changed = []

    def correct_first_claim_once() -> None:
        if not changed:
            correct(
                claims[0],
                author=reviewer,
                approver=second_editor,
                editor=editor,
                rating="false",
                public_note="Lowered.",
            )
            changed.append(True)

    first_pass, watermark = sync(key, "2000-01-01", page_size=1, between_pages=correct_first_claim_once)
    ids = [pk for pk, _ in first_pass]
    assert sorted(ids) == sorted(c.pk for c in claims) and len(ids) == len(set(ids))

    second_pass, _ = sync(key, watermark)
    assert second_pass == [(claims[0].pk, "published")]


def test_retractions_come_as_tombstones(key, reviewer, editor):
    claim = published_claim(reviewer, editor)
    _, watermark = sync(key, "2000-01-01")
    claim_services.claim_retract(actor=editor, claim=claim, public_note="Misread.", reason="Misread")
    body = api(key).get(reverse("api:claim-list"), {"updated_since": watermark}).json()
    assert [(c["id"], c["status"], c["retraction_note"]) for c in body["results"]] == [
        (claim.pk, "retracted", "Misread.")
    ]
    assert body["results"][0]["verdict"] is None
    feed = list(iter_feed(key, 0))
    assert [c["change"] for c in feed if c["claim_id"] == claim.pk] == ["published", "retracted"]


def test_corrections_are_changes(key, reviewer, editor, second_editor):
    claim = published_claim(reviewer, editor)
    _, watermark = sync(key, "2000-01-01")
    correct(
        claim, author=reviewer, approver=second_editor, editor=editor, rating="false", public_note="Lowered."
    )
    body = api(key).get(reverse("api:claim-list"), {"updated_since": watermark}).json()
    assert [c["verdict"]["rating"]["slug"] for c in body["results"]] == ["false"]
    assert [c["change"] for c in iter_feed(key, 0)] == ["published", "corrected"]


def test_change_feed_pages_with_next_and_resumes_from_last_seq(key, reviewer, editor):
    claims = [published_claim(reviewer, editor, evidence=0, topics=0) for _ in range(3)]
    body = api(key).get(reverse("api:change-feed"), {"page_size": 2}).json()
    seen = [c["claim_id"] for c in body["results"]]
    assert len(seen) == 2 and body["next"]
    body = api(key).get(body["next"]).json()
    seen += [c["claim_id"] for c in body["results"]]
    assert seen == [c.pk for c in claims] and body["next"] is None
    # Up to date: an empty page that keeps the client's position.
    again = api(key).get(reverse("api:change-feed"), {"after": body["last_seq"]}).json()
    assert again["results"] == [] and again["last_seq"] == body["last_seq"]
