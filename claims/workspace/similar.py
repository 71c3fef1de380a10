"""Similar existing claims, suggested while a reviewer writes a new one.

Trigram similarity (``pg_trgm``) when the extension is installed in the database, which
catches reworded and misspelt duplicates; otherwise PostgreSQL full-text rank on the
statement and the quote (the embedded PostgreSQL ships without ``pg_trgm``).
"""

import re
from functools import reduce
from operator import or_

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, TrigramSimilarity
from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Greatest
from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from claims.models import Claim

TRIGRAM_THRESHOLD = 0.15
_WORD = re.compile(r"\w{3,}")


def trigram_available() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def similar_claims(
    text: str, *, exclude_ids: tuple[int, ...] = (), limit: int = 8
) -> tuple[str, list[Claim]]:
    """``(method, claims)``: the claims closest to ``text``, best first."""
    text = text.strip()[:2000]
    base: QuerySet[Claim] = (
        Claim.objects.exclude(pk__in=exclude_ids)
        .select_related("claimant", "snapshot__source")
        .defer("search_vector", "snapshot__text", "snapshot__extraction")
    )
    if not text:
        return "none", []
    if trigram_available():
        ranked = base.annotate(
            score=Greatest(TrigramSimilarity("statement", text), TrigramSimilarity("exact", text))
        ).filter(score__gte=TRIGRAM_THRESHOLD)
        return "trigram", list(ranked.order_by("-score", "-pk")[:limit])
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))[:40]
    if not words:
        return "fulltext", []
    # Any shared word counts (OR), the rank orders by how many and how rare.
    query = reduce(or_, (SearchQuery(word) for word in words))
    vector = SearchVector("statement", weight="A") + SearchVector("exact", weight="B")
    ranked = base.annotate(document=vector, score=SearchRank(vector, query)).filter(document=query)
    return "fulltext", list(ranked.order_by("-score", "-pk")[:limit])


def similar_claims_view(request: HttpRequest) -> JsonResponse:
    """GET /admin/claims/claim/similar/?q=…&exclude=1,2 → JSON list of similar claims."""
    if not request.user.has_perm("claims.view_claim"):
        return JsonResponse({"error": "You may not see claims.", "field": None}, status=403)
    exclude: list[int] = []
    for part in request.GET.get("exclude", "").split(","):
        if part.strip():
            if not part.strip().isdigit():
                return JsonResponse(
                    {"error": "exclude takes claim ids, comma-separated.", "field": "exclude"}, status=400
                )
            exclude.append(int(part))
    method, claims = similar_claims(request.GET.get("q", ""), exclude_ids=tuple(exclude))
    return JsonResponse(
        {
            "method": method,
            "results": [
                {
                    "id": c.pk,
                    "statement": c.statement,
                    "exact": c.exact,
                    "status": c.status,
                    "status_label": c.get_status_display(),
                    "claimant": c.claimant.name,
                    "source": c.snapshot.source.title,
                    "url": reverse("admin:claims_claim_change", args=[c.pk]),
                    "score": round(float(c.score), 3),
                }
                for c in claims
            ],
        }
    )
