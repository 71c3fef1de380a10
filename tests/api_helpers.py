"""Shared helpers for the newsroom API tests."""

from typing import Any

from rest_framework.test import APIClient

from newsroom import services
from newsroom.models import NewsroomClient
from tests.factories import ClaimFactory, TopicFactory
from tests.publishing import add_evidence, publish


def keyed_client(
    name: str = "Daily Planet", rate: str = "1000/hour", **kwargs: Any
) -> tuple[NewsroomClient, str]:
    return services.client_create(actor=None, name=name, rate=rate, **kwargs)


def api(key: str | None = None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def published_claim(
    reviewer, editor, *, evidence: int = 1, topics: int = 1, rating: str = "mostly-false", **kwargs
):
    claim = ClaimFactory(**kwargs)
    for _ in range(topics):
        claim.topics.add(TopicFactory())
    add_evidence(claim, evidence)
    publish(claim, author=reviewer, editor=editor, rating=rating)
    return claim
