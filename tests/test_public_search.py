"""The stored search vector: maintained by the database, for every path, without audit noise."""

import pytest
from django.db import connection

from claims import services
from claims.models import Claim, ClaimEvent
from tests.factories import ClaimantFactory, ClaimFactory, default_rating
from tests.publishing import publish

pytestmark = pytest.mark.django_db


def lexemes(claim: Claim) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM claims_claim WHERE id = %s", [claim.pk])
        return cursor.fetchone()[0]


def test_vector_holds_quote_statement_claimant_and_published_rationale_only(reviewer, editor):
    claim = ClaimFactory(claimant=ClaimantFactory(name="Pashinyan"), statement="Treaty articles changed.")
    text = lexemes(claim)
    assert "'treati':1A" in text or "'treati'" in text
    assert "'belarus'" in text and "'pashinyan'" in text
    verdict = services.verdict_propose(
        actor=reviewer, claim=claim, rating=default_rating(), rationale="Zeppelin"
    )
    assert "zeppelin" not in lexemes(claim)  # a draft's rationale is not searchable
    services.verdict_submit(actor=reviewer, verdict=verdict)
    services.verdict_approve(actor=editor, verdict=verdict)
    assert "zeppelin" not in lexemes(claim)
    services.claim_publish(actor=editor, claim=claim)
    assert "'zeppelin':" in lexemes(claim) and "C" in lexemes(claim).split("'zeppelin':")[1][:6]
    services.claim_retract(actor=editor, claim=claim, public_note="Withdrawn.", reason="Misread")
    assert "zeppelin" not in lexemes(claim)


def test_renaming_a_claimant_refreshes_their_claims(reviewer, editor):
    claim = ClaimFactory(claimant=ClaimantFactory(name="Aliyev"))
    claim.claimant.name = "Kocharyan"
    claim.claimant.save(update_fields=["name"])
    text = lexemes(claim)
    assert "'kocharyan'" in text and "'aliyev'" not in text


def test_refreshing_the_vector_writes_no_claim_event(reviewer, editor):
    claim = ClaimFactory()
    publish(claim, author=reviewer, editor=editor)
    before = ClaimEvent.objects.filter(pgh_obj_id=claim.pk).count()
    # An update touching only search_vector (what the verdict and claimant triggers do).
    with connection.cursor() as cursor:
        cursor.execute("UPDATE claims_claim SET search_vector = NULL WHERE id = %s", [claim.pk])
    claim.claimant.name = "Someone Else"
    claim.claimant.save(update_fields=["name"])
    assert ClaimEvent.objects.filter(pgh_obj_id=claim.pk).count() == before
    assert "'someon'" in lexemes(claim)


def test_bulk_inserts_get_a_vector_too():
    claims = ClaimFactory.build_batch(2)
    for claim in claims:
        claim.snapshot.source.save()
        claim.snapshot.source_id = claim.snapshot.source.pk
        claim.snapshot.save()
        claim.snapshot_id = claim.snapshot.pk
        claim.claimant.save()
        claim.claimant_id = claim.claimant.pk
    created = Claim.objects.bulk_create(claims)
    assert all("'belarus'" in lexemes(c) for c in created)
