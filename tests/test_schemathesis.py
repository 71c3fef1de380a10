"""Property-based tests of the API against its own OpenAPI schema: 0 server errors, 0 schema
violations, whatever the parameters (schemathesis, in process against the WSGI app)."""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from claims import services as claim_services
from factcheck.wsgi import application
from tests.api_helpers import keyed_client, published_claim
from tests.publishing import correct

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_key(db, reviewer, editor, second_editor) -> str:
    # Something of every shape: a corrected claim, a retracted one (tombstone), a non-ordinal
    # rating, evidence, topics.
    first = published_claim(reviewer, editor, evidence=2, topics=2)
    correct(
        first, author=reviewer, approver=second_editor, editor=editor, rating="false", public_note="Lowered."
    )
    published_claim(reviewer, editor, rating="misleading")
    gone = published_claim(reviewer, editor)
    claim_services.claim_retract(actor=editor, claim=gone, public_note="Withdrawn.", reason="Withdrawn")
    cache.clear()
    return keyed_client(rate="1000000/hour")[1]


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open():
    # Requests run in the test's transaction: keep Django from closing the connection at the
    # end of each one (its own test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Loaded when the module is collected (the schema view touches no database). Schemathesis's
# lazy fixture loader does not work with pytest 9 (it sets a private node attribute).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_schema(case, api_key):
    case.call_and_validate(headers={"X-API-Key": api_key}, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_without_a_key_conforms_too(case, db):
    case.call_and_validate(checks=CHECKS)
