"""Managing the newsroom API in the admin: keys shown once, revocation, export jobs."""

import re

import pytest
from django.urls import reverse

from newsroom import services
from newsroom.models import ExportJob, NewsroomClient, hash_key
from tests.api_helpers import api, keyed_client, published_claim

pytestmark = pytest.mark.django_db


def test_a_new_client_s_key_is_shown_once_and_only_its_hash_is_kept(admin_client):
    response = admin_client.post(
        reverse("admin:newsroom_newsroomclient_add"),
        {
            "name": "Daily Planet",
            "contact_email": "desk@planet.example",
            "rate": "500/hour",
            "webhook_url": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    key = re.search(r"<code>(fck_[\w-]+)</code>", page).group(1)
    client = NewsroomClient.objects.get(name="Daily Planet")
    assert client.key_hash == hash_key(key) and client.rate == "500/hour"
    assert api(key).get("/api/v1/claims/").status_code == 200
    # The change page never shows it again.
    change = admin_client.get(
        reverse("admin:newsroom_newsroomclient_change", args=[client.pk])
    ).content.decode()
    assert key not in change and client.key_prefix in change


def test_a_bad_rate_is_a_form_error(admin_client):
    response = admin_client.post(
        reverse("admin:newsroom_newsroomclient_add"), {"name": "X", "rate": "often", "webhook_url": ""}
    )
    assert response.status_code == 200 and "requests/period" in response.content.decode()
    assert not NewsroomClient.objects.exists()


def test_unticking_active_revokes_the_key(admin_client):
    client, key = keyed_client()
    url = reverse("admin:newsroom_newsroomclient_change", args=[client.pk])
    response = admin_client.post(
        url, {"name": client.name, "contact_email": "", "rate": client.rate, "webhook_url": ""}, follow=True
    )
    assert response.status_code == 200
    client.refresh_from_db()
    assert not client.is_active and client.revoked_at is not None
    assert api(key).get("/api/v1/claims/").status_code == 401


def test_rotating_shows_the_new_key_once(admin_client):
    client, old = keyed_client()
    response = admin_client.post(
        reverse("admin:newsroom_newsroomclient_rotate", args=[client.pk]), follow=True
    )
    new = re.search(r"<code>(fck_[\w-]+)</code>", response.content.decode()).group(1)
    assert new != old and api(new).get("/api/v1/claims/").status_code == 200
    assert api(old).get("/api/v1/claims/").status_code == 401


def test_adding_a_webhook_later_makes_a_secret(admin_client):
    client, _ = keyed_client()
    assert client.webhook_secret == ""
    admin_client.post(
        reverse("admin:newsroom_newsroomclient_change", args=[client.pk]),
        {
            "name": client.name,
            "contact_email": "",
            "rate": client.rate,
            "is_active": "on",
            "webhook_url": "https://planet.example/hooks",
        },
    )
    client.refresh_from_db()
    assert client.webhook_secret.startswith("whsec_")


def test_export_job_progress_and_download(admin_client, reviewer, editor, outsider, client):
    for _ in range(2):
        published_claim(reviewer, editor)
    response = admin_client.post(reverse("admin:newsroom_exportjob_add"), {"format": "ndjson"}, follow=True)
    assert response.status_code == 200
    job = ExportJob.objects.get()
    assert job.status == "queued"
    services.export_job_run(job_id=job.pk)  # what the worker does (tested with one in test_export)

    listing = admin_client.get(reverse("admin:newsroom_exportjob_changelist")).content.decode()
    download = reverse("admin:newsroom_exportjob_download", args=[job.pk])
    assert "100%" in listing and download in listing
    response = admin_client.get(download)
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content).splitlines()) == 2

    client.force_login(outsider)
    assert client.get(download).status_code == 403
