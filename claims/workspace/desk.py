"""The desk: the queues a fact-checking desk opens every morning."""

from typing import Any

from django.apps import apps
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.db import connection
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View

from claims.models import Claim, ClaimStatus, Evidence, Verdict, VerdictStatus
from sources.models import Source

QUEUE_LENGTH = 15
DEAD_OUTCOMES = ("dead", "unreachable")


def awaiting_my_review(user: Any) -> QuerySet[Verdict] | None:
    """Verdicts in review that this user may review: never their own. None if not an editor."""
    if not user.has_perm("claims.review_verdict"):
        return None
    return (
        Verdict.objects.filter(status=VerdictStatus.IN_REVIEW)
        .exclude(author=user)
        .select_related("claim", "rating", "author")
        .defer("claim__search_vector")
        .order_by("submitted_at", "pk")
    )


def claims_by_status() -> list[dict]:
    counts = dict(Claim.objects.order_by().values_list("status").annotate(n=Count("pk")))
    base = reverse("admin:claims_claim_changelist")
    return [
        {
            "status": s.value,
            "label": s.label,
            "count": counts.get(s.value, 0),
            "url": f"{base}?status__exact={s.value}",
        }
        for s in ClaimStatus
    ]


def my_drafts(user: Any) -> tuple[QuerySet[Verdict], QuerySet[Claim]]:
    verdicts = (
        Verdict.objects.filter(author=user, status=VerdictStatus.DRAFT)
        .select_related("claim", "rating")
        .defer("claim__search_vector")
        .order_by("-updated_at")
    )
    # Claims I made that have no verdict yet: the next thing to work on.
    claims = (
        Claim.objects.filter(created_by=user, status=ClaimStatus.DRAFT, verdicts__isnull=True)
        .select_related("claimant")
        .defer("search_vector")
        .order_by("-updated_at")
    )
    return verdicts, claims


def orphaned_anchors() -> tuple[QuerySet[Claim], QuerySet[Evidence]]:
    claims = (
        Claim.objects.filter(is_orphaned=True)
        .select_related("snapshot__source")
        .defer("search_vector", "snapshot__text", "snapshot__extraction")
    )
    evidence = (
        Evidence.objects.filter(is_orphaned=True)
        .select_related("claim", "snapshot__source")
        .defer("claim__search_vector", "snapshot__text", "snapshot__extraction")
    )
    return claims.order_by("-updated_at"), evidence.order_by("-updated_at")


def dead_links() -> QuerySet[Source] | None:
    """Sources whose latest link check found them dead, once link checks exist (None before)."""
    try:
        link_check = apps.get_model("sources", "LinkCheck")
    except LookupError:
        return None
    if link_check._meta.db_table not in connection.introspection.table_names():
        return None
    latest = link_check.objects.filter(source=OuterRef("pk")).order_by("-checked_at")
    return (
        Source.objects.annotate(
            last_outcome=Subquery(latest.values("outcome")[:1]),
            last_checked=Subquery(latest.values("checked_at")[:1]),
        )
        .filter(last_outcome__in=DEAD_OUTCOMES)
        .defer("notes")
        .order_by("-last_checked")
    )


def recently_public() -> QuerySet[Verdict]:
    """Published verdicts and corrections, newest first."""
    return (
        Verdict.objects.filter(status=VerdictStatus.PUBLISHED)
        .select_related("claim", "rating")
        .defer("claim__search_vector")
        .order_by("-published_at", "-pk")
    )


class DeskView(View):
    admin_site: AdminSite | None = None

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.has_perm("claims.view_claim"):
            raise HttpForbidden
        draft_verdicts, draft_claims = my_drafts(user)
        orphan_claims, orphan_evidence = orphaned_anchors()
        review = awaiting_my_review(user)
        dead = dead_links()
        context = {
            **self.admin_site.each_context(request),
            "title": "Desk",
            "subtitle": None,
            "awaiting_review": list(review[:QUEUE_LENGTH]) if review is not None else None,
            "claims_by_status": claims_by_status(),
            "draft_verdicts": list(draft_verdicts[:QUEUE_LENGTH]),
            "draft_claims": list(draft_claims[:QUEUE_LENGTH]),
            "orphan_claims": list(orphan_claims[:QUEUE_LENGTH]),
            "orphan_evidence": list(orphan_evidence[:QUEUE_LENGTH]),
            "dead_links": list(dead[:QUEUE_LENGTH]) if dead is not None else None,
            "recent": list(recently_public()[:QUEUE_LENGTH]),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/workspace/desk.html", context)
