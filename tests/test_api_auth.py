"""Who may call the API: no key, bad key, revoked key, throttled key, anonymous access."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from newsroom import services
from newsroom.models import NewsroomClient, hash_key
from tests.api_helpers import api, keyed_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/claims/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def test_no_key_is_401_with_the_scheme_named():
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert "API key" in response.json()["detail"]


def test_unknown_key_is_401():
    keyed_client()
    response = api("fck_not-a-real-key").get(URL)
    assert response.status_code == 401 and response.json() == {"detail": "Unknown API key."}


def test_empty_api_key_header_is_401():
    response = APIClient().get(URL, HTTP_AUTHORIZATION="Api-Key ")
    assert response.status_code == 401


def test_key_works_in_either_header_and_records_last_use():
    client, key = keyed_client()
    assert client.last_used_at is None
    assert api(key).get(URL).status_code == 200
    assert APIClient().get(URL, HTTP_X_API_KEY=key).status_code == 200
    client.refresh_from_db()
    assert client.last_used_at is not None


def test_only_the_hash_of_the_key_is_stored():
    client, key = keyed_client()
    row = NewsroomClient.objects.filter(pk=client.pk).values().get()
    assert key not in {str(v) for v in row.values()}
    assert row["key_hash"] == hash_key(key) and key.startswith(row["key_prefix"])


def test_revoked_key_is_401(administrator):
    client, key = keyed_client()
    services.client_revoke(actor=administrator, client=client, reason="contract ended")
    response = api(key).get(URL)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_rotated_key_replaces_the_old_one():
    client, old = keyed_client()
    new = services.client_rotate_key(actor=None, client=client)
    assert api(old).get(URL).status_code == 401
    assert api(new).get(URL).status_code == 200


def test_throttled_key_is_429_with_retry_after():
    _, key = keyed_client(rate="3/minute")
    _, other_key = keyed_client(name="Other desk", rate="3/minute")
    for _ in range(3):
        assert api(key).get(URL).status_code == 200
    response = api(key).get(URL)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"].lower()
    # Limits are per client.
    assert api(other_key).get(URL).status_code == 200


def test_anonymous_access_is_off_by_default(settings):
    assert settings.API_ANONYMOUS_RATE == ""
    assert APIClient().get(reverse("api:rating-scale-list")).status_code == 401


def test_anonymous_access_when_enabled_is_rate_limited_per_address(settings):
    settings.API_ANONYMOUS_RATE = "2/hour"
    anonymous = APIClient()
    assert anonymous.get(URL).status_code == 200
    assert anonymous.get(URL).status_code == 200
    response = anonymous.get(URL)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    # Another address has its own allowance.
    assert APIClient(REMOTE_ADDR="192.0.2.7").get(URL).status_code == 200


def test_bad_key_is_refused_even_when_anonymous_access_is_on(settings):
    settings.API_ANONYMOUS_RATE = "100/hour"
    assert api("fck_wrong").get(URL).status_code == 401


def test_client_rate_is_validated():
    from factcheck.errors import DomainError

    with pytest.raises(DomainError) as refused:
        services.client_create(actor=None, name="Bad rate", rate="lots")
    assert refused.value.field == "rate"
