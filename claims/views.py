"""The public site: read-only, cacheable pages for readers. Server-rendered, no JavaScript.
Every page shows public claims only (published, or retracted as a notice) and only their
published verdict; the reads live in ``claims.selectors``. Pages that depend on a claim answer
conditional GETs from the claim's ``public_changed_at`` (one small query, no rendering), and
keep their rendered HTML in the cache under a key that contains that ETag: a publication,
correction or retraction changes the ETag, so readers see it at once.
"""

import datetime as dt
import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import condition, require_safe

from claims.claimreview import claim_review
from claims.models import (
    PUBLIC_CLAIM_STATUSES,
    Claim,
    ClaimStatus,
    ClaimTopic,
    Evidence,
    Rating,
    RatingScale,
    Stance,
    Topic,
)
from claims.selectors import (
    PublicFilters,
    public_claim_count,
    public_claim_detail,
    public_claim_list,
    public_claimant,
    public_correction_log,
    public_last_change,
    public_latest,
    public_recently_corrected,
    public_state,
    public_topic,
)
from sources.models import Citation, Snapshot, Source

# Browsers may keep a page a minute; a CDN five, revalidating with the ETag after that. The
# claims.signals.public_change signal is where a CDN purge hooks in.
CACHE_CONTROL = "public, max-age=60, s-maxage=300, stale-if-error=86400"
# No inline script or style anywhere on the public site. JSON-LD blocks are data, not scripts
# the browser runs, so script-src can stay closed.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# Part of every ETag: bump it when templates change so that cached pages are not reused.
PAGE_VERSION = "1"
# Server-side cache of rendered pages, keyed by ETag: bounded so that things a page shows
# beside its claim (a claimant's description, a related claim) refresh too.
RENDERED_PAGE_TIMEOUT = 300
PAGE_SIZES = (10, 20, 50, 100)
DEFAULT_PAGE_SIZE = 20
MAX_DB_ID = 2**63 - 1


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET/HEAD only; adds the cache and content-security headers to what the view returns."""

    @require_safe
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            # Rendered here rather than by Django's handler so that it gets the headers below.
            response = render(request, "404.html", status=404)
        if response.status_code in (200, 301, 304):
            response.headers.setdefault("Cache-Control", CACHE_CONTROL)
        else:
            response.headers.setdefault("Cache-Control", "public, max-age=30")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    return wrapper


def _etag(*parts: object) -> str:
    # Whether reviewers are named changes every page, so it is part of every ETag.
    names = "n" if settings.PUBLIC_SHOW_REVIEWER_NAMES else "a"
    return '"' + "-".join(str(p) for p in (PAGE_VERSION, names, *parts)) + '"'


def _stamp(at: dt.datetime | None) -> str:
    return f"{at.timestamp():.6f}" if at else "0"


def _rendered(
    request: HttpRequest, etag: str | None, render_page: Callable[[], HttpResponse]
) -> HttpResponse:
    """The page from the cache when its ETag is unchanged, else rendered and stored."""
    if etag is None:
        return render_page()
    # Hashed: a long search query would make a key longer than memcached accepts.
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    key = f"public-page:{etag}:{path}"
    cached = cache.get(key)
    if cached is not None:
        content, content_type = cached
        return HttpResponse(content, content_type=content_type)
    response = render_page()
    if isinstance(response, TemplateResponse):
        response.render()
    if response.status_code == 200:
        cache.set(key, (response.content, response["Content-Type"]), RENDERED_PAGE_TIMEOUT)
    return response


# --- Site-wide ETag for list pages ----------------------------------------------------------


def _site_state(request: HttpRequest) -> dt.datetime | None:
    if not hasattr(request, "_public_site_state"):
        request._public_site_state = public_last_change()
    return request._public_site_state


def _site_etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    return _etag("site", _stamp(_site_state(request)))


def _site_last_modified(request: HttpRequest, *args: Any, **kwargs: Any) -> dt.datetime | None:
    return _site_state(request)


site_condition = condition(etag_func=_site_etag, last_modified_func=_site_last_modified)


# --- Filters --------------------------------------------------------------------------------


class ClaimFilterForm(forms.Form):
    """The claim list's query string. Invalid input is a 400 page naming the field."""

    q = forms.CharField(label="Search", required=False, max_length=200, strip=True)
    rating = forms.ChoiceField(label="Rating", required=False)
    topic = forms.ChoiceField(label="Topic", required=False)
    claimant = forms.SlugField(required=False, widget=forms.HiddenInput)
    source = forms.IntegerField(required=False, min_value=1, max_value=MAX_DB_ID, widget=forms.HiddenInput)
    published_from = forms.DateField(
        label="Published from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    published_to = forms.DateField(
        label="Published until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    per_page = forms.TypedChoiceField(
        label="Per page",
        required=False,
        coerce=int,
        choices=[(n, str(n)) for n in PAGE_SIZES],
        empty_value=DEFAULT_PAGE_SIZE,
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels a public verdict uses, once each, on the default scale's order first.
        ratings: dict[str, str] = {}
        for slug, label in Rating.objects.order_by("-scale__is_default", "scale_id", "position").values_list(
            "slug", "label"
        ):
            ratings.setdefault(slug, label)
        self.fields["rating"].choices = [("", "Any rating"), *ratings.items()]
        # Only topics with public claims: a topic used by drafts alone is nobody's business.
        # A scalar subquery with LIMIT 1, not EXISTS: PostgreSQL turns EXISTS into a hash
        # semi-join over every claim (half a second at 100k claims); this stops at the first.
        first_public = ClaimTopic.objects.filter(
            topic=OuterRef("pk"), claim__status__in=PUBLIC_CLAIM_STATUSES
        ).values("pk")[:1]
        public_topics = (
            Topic.objects.annotate(first_public=Subquery(first_public))
            .filter(first_public__isnull=False)
            .order_by("name")
        )
        self.fields["topic"].choices = [("", "Any topic"), *public_topics.values_list("slug", "name")]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("published_from"), data.get("published_to")
        if start and end and start > end:
            self.add_error("published_to", "The end date is before the start date.")
        return data

    def filters(self) -> PublicFilters:
        data = self.cleaned_data
        return PublicFilters(
            q=data.get("q") or "",
            rating=data.get("rating") or "",
            topic=data.get("topic") or "",
            claimant=data.get("claimant") or "",
            source=data.get("source"),
            published_from=data.get("published_from"),
            published_to=data.get("published_to"),
        )


class _Listing:
    """A queryset for the paginator whose count comes from a cheaper query."""

    ordered = True

    def __init__(self, filters: PublicFilters) -> None:
        self.filters = filters
        self.queryset = public_claim_list(filters)

    def count(self) -> int:
        return public_claim_count(self.filters)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: Any) -> Any:
        return self.queryset[key]


def _page_of(request: HttpRequest, filters: PublicFilters, form: ClaimFilterForm | None = None) -> Any:
    queryset = _Listing(filters)
    per_page = DEFAULT_PAGE_SIZE
    number = request.GET.get("page") or 1
    if form is not None and form.is_valid():
        per_page = form.cleaned_data.get("per_page") or DEFAULT_PAGE_SIZE
        number = form.cleaned_data.get("page") or 1
    # get_page clamps a page past the end to the last one instead of failing.
    return Paginator(queryset, per_page).get_page(number)


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- Pages ----------------------------------------------------------------------------------


@public_page
@site_condition
def home(request: HttpRequest) -> HttpResponse:
    def render_page() -> HttpResponse:
        return render(
            request,
            "public/home.html",
            {
                "latest": public_latest(limit=10),
                "corrected": public_recently_corrected(limit=5),
                "form": ClaimFilterForm(),
            },
        )

    return _rendered(request, _site_etag(request), render_page)


@public_page
@site_condition
def claim_list(request: HttpRequest) -> HttpResponse:
    form = ClaimFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(
            request,
            "public/claim_list.html",
            {"form": form, "page": None, "query": ""},
            status=400,
        )

    def render_page() -> HttpResponse:
        filters = form.filters() if request.GET else PublicFilters()
        page = _page_of(request, filters, form)
        return render(
            request,
            "public/claim_list.html",
            {
                "form": form if request.GET else ClaimFilterForm(),
                "page": page,
                "query": filters.q,
                "base_query": _query_without_page(request),
            },
        )

    return _rendered(request, _site_etag(request), render_page)


# --- The claim page -------------------------------------------------------------------------


def _claim_state(request: HttpRequest, pk: int) -> tuple[str, dt.datetime | None] | None:
    if not hasattr(request, "_public_claim_state"):
        request._public_claim_state = public_state(pk) if pk <= MAX_DB_ID else None
    return request._public_claim_state


def _claim_etag(request: HttpRequest, pk: int, slug: str = "") -> str | None:
    state = _claim_state(request, pk)
    if state is None or state[0] != slug:
        return None  # 404 or a redirect: nothing to validate
    return _etag("claim", pk, _stamp(state[1]))


def _claim_last_modified(request: HttpRequest, pk: int, slug: str = "") -> dt.datetime | None:
    state = _claim_state(request, pk)
    return state[1] if state and state[0] == slug else None


@public_page
@condition(etag_func=_claim_etag, last_modified_func=_claim_last_modified)
def claim_detail(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    state = _claim_state(request, pk)
    if state is None:
        raise Http404("No such fact-check.")
    if slug != state[0]:
        # An old or missing slug: the claim's one canonical address.
        return HttpResponsePermanentRedirect(
            reverse("public:claim-detail", kwargs={"pk": pk, "slug": state[0]})
        )

    def render_page() -> HttpResponse:
        claim = public_claim_detail(pk)
        if claim is None:  # unpublished between the two queries
            raise Http404("No such fact-check.")
        verdict = claim.published_verdict
        groups = {stance: [] for stance in Stance.values}
        for item in claim.public_evidence:
            groups[item.stance].append(item)
        review = None
        if verdict is not None:
            bounds = (verdict.scale_worst, verdict.scale_best) if verdict.scale_worst is not None else None
            review = claim_review(
                claim, verdict=verdict, request_or_base_url=settings.SITE_URL, bounds=bounds
            )
        return render(
            request,
            "public/claim_detail.html",
            {
                "claim": claim,
                "verdict": verdict,
                "evidence_groups": [
                    (stance, label, groups[stance]) for stance, label in Stance.choices if groups[stance]
                ],
                "correction_log": public_correction_log(claim),
                "claim_review": review,
                "canonical_url": f"{settings.SITE_URL}{claim.get_absolute_url()}",
                "show_reviewer_names": settings.PUBLIC_SHOW_REVIEWER_NAMES,
            },
        )

    return _rendered(request, _claim_etag(request, pk, slug), render_page)


# --- Source, claimant and topic pages -------------------------------------------------------


def _public_source_ids_condition() -> Q:
    """A source is public when a public claim quotes it, a published claim uses it as
    evidence, or a public source cites it (its provenance)."""
    quoted = Claim.objects.filter(snapshot__source=OuterRef("pk"), status__in=PUBLIC_CLAIM_STATUSES)
    evidence = Evidence.objects.filter(snapshot__source=OuterRef("pk"), claim__status=ClaimStatus.PUBLISHED)
    return Q(Exists(quoted)) | Q(Exists(evidence))


def _public_source(pk: int) -> Source:
    if pk > MAX_DB_ID:
        raise Http404("No such source.")
    source = (
        Source.objects.defer("notes")
        .select_related("current_snapshot")
        .defer("current_snapshot__text", "current_snapshot__extraction")
        .filter(pk=pk)
        .first()
    )
    if source is None:
        raise Http404("No such source.")
    # Public itself, or cited (through up to five links) by a public source: its provenance.
    citers = RawSQL(
        """
        WITH RECURSIVE up(id, depth) AS (
            SELECT citing_id, 1 FROM sources_citation WHERE cited_id = %s
            UNION
            SELECT c.citing_id, up.depth + 1
            FROM sources_citation c JOIN up ON c.cited_id = up.id
            WHERE up.depth < 5
        )
        SELECT id FROM up
        """,
        (pk,),
    )
    if not Source.objects.filter(_public_source_ids_condition(), Q(pk=pk) | Q(pk__in=citers)).exists():
        raise Http404("No such source.")
    return source


@public_page
@site_condition
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    def render_page() -> HttpResponse:
        source = _public_source(pk)
        used_as_evidence = (
            public_claim_list(PublicFilters())
            .filter(status=ClaimStatus.PUBLISHED, evidence__snapshot__source_id=pk)
            .distinct()
        )
        return render(
            request,
            "public/source_detail.html",
            {
                "source": source,
                "snapshots": source.snapshots.defer("text", "extraction").order_by("-retrieved_at"),
                "cites": Citation.objects.filter(citing=source).select_related("cited").defer("cited__notes"),
                "cited_by": Citation.objects.filter(cited=source)
                .select_related("citing")
                .defer("citing__notes"),
                "page": _page_of(request, PublicFilters(source=pk)),
                "evidence_claims": used_as_evidence[:50],
                "base_query": _query_without_page(request),
            },
        )

    return _rendered(request, _site_etag(request), render_page)


@public_page
@site_condition
def snapshot_detail(request: HttpRequest, pk: int, snapshot_id: int) -> HttpResponse:
    """The archived text of a source, with the public claims' and evidence passages marked."""

    def render_page() -> HttpResponse:
        source = _public_source(pk)
        if snapshot_id > MAX_DB_ID:
            raise Http404("No such snapshot.")
        snapshot = Snapshot.objects.filter(source=source, pk=snapshot_id).defer("extraction").first()
        if snapshot is None:
            raise Http404("No such snapshot.")
        spans = [
            (start, end, f"claim-{pk_}")
            for pk_, start, end in Claim.objects.filter(
                snapshot=snapshot, status__in=PUBLIC_CLAIM_STATUSES
            ).values_list("pk", "start", "end")
        ] + [
            (start, end, f"evidence-{pk_}")
            for pk_, start, end in Evidence.objects.filter(
                snapshot=snapshot, claim__status=ClaimStatus.PUBLISHED
            ).values_list("pk", "start", "end")
        ]
        return render(
            request,
            "public/snapshot_detail.html",
            {"source": source, "snapshot": snapshot, "pieces": _marked_pieces(snapshot.text, spans)},
        )

    return _rendered(request, _site_etag(request), render_page)


def _marked_pieces(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    """``text`` cut into (anchor id or "", piece) so that quoted passages can be marked;
    overlapping passages merge into the first."""
    pieces: list[tuple[str, str]] = []
    at = 0
    for start, end, anchor in sorted(spans):
        start = max(start, at)
        if start >= end:
            continue
        if start > at:
            pieces.append(("", text[at:start]))
        pieces.append((anchor, text[start:end]))
        at = end
    pieces.append(("", text[at:]))
    return pieces


def _subject_page(request: HttpRequest, subject: Any, template: str, filters: PublicFilters) -> HttpResponse:
    """A claimant's or a topic's page: who or what it is, and its public claims."""
    if subject is None:
        raise Http404("Nothing public here.")
    context = {
        subject._meta.model_name: subject,
        "page": _page_of(request, filters),
        "base_query": _query_without_page(request),
    }
    return render(request, template, context)


@public_page
@site_condition
def claimant_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _rendered(
        request,
        _site_etag(request),
        lambda: _subject_page(
            request, public_claimant(slug), "public/claimant_detail.html", PublicFilters(claimant=slug)
        ),
    )


@public_page
@site_condition
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _rendered(
        request,
        _site_etag(request),
        lambda: _subject_page(
            request, public_topic(slug), "public/topic_detail.html", PublicFilters(topic=slug)
        ),
    )


@public_page
def methodology(request: HttpRequest) -> HttpResponse:
    scales = RatingScale.objects.prefetch_related("ratings").order_by("-is_default", "name")
    scales = [
        (scale, sorted(scale.ratings.all(), key=lambda r: (r.value is None, r.position, r.pk)))
        for scale in scales
    ]
    return render(request, "public/methodology.html", {"scales": scales})
