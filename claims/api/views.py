"""The newsroom API (read-only): thin views over claims.api.selectors."""

from typing import Any

from django.conf import settings
from django.db import models
from django.http import Http404, HttpRequest, JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from claims.api import errors, filters, pagination, selectors
from claims.api.serializers import (
    ChangeSerializer,
    ClaimantSerializer,
    ClaimSerializer,
    RatingScaleSerializer,
    SourceSerializer,
    TopicSerializer,
)
from claims.models import Claim, Claimant, Topic
from newsroom.authentication import ApiKeyAuthentication, ClientRateThrottle, HasApiKeyOrAnonymousAllowed
from newsroom.models import PublicChange
from sources.models import Source

_ERROR = inline_serializer("Error", {"detail": serializers.CharField()})
_BAD_REQUEST = inline_serializer(
    "BadRequest",
    {
        "detail": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
    },
)
COMMON_ERRORS = {
    400: OpenApiResponse(_BAD_REQUEST, description="A parameter is invalid; `errors` names it."),
    401: OpenApiResponse(_ERROR, description="No API key, or an unknown or revoked one."),
    403: OpenApiResponse(_ERROR, description="Anonymous access is off."),
    429: OpenApiResponse(_ERROR, description="Rate limit reached; see the Retry-After header."),
}
NOT_FOUND = {404: OpenApiResponse(_ERROR, description="No such public item.")}


def _paged(name: str, item: serializers.Serializer, **extra: serializers.Field) -> serializers.Serializer:
    return inline_serializer(
        name,
        {
            "next": serializers.URLField(allow_null=True, help_text="The next page; null on the last."),
            **extra,
            "results": item,
        },
    )


class NewsroomAPIView(APIView):
    """Key authentication, per-client throttling and JSON errors for every API view."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKeyOrAnonymousAllowed]
    throttle_classes = [ClientRateThrottle]
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self) -> Any:
        return errors.exception_handler

    def permission_denied(
        self, request: Request, message: str | None = None, code: str | None = None
    ) -> None:
        if request.authenticators and not request.successful_authenticator:
            # Say how to authenticate, not only that the request did not.
            raise exceptions.NotAuthenticated(HasApiKeyOrAnonymousAllowed.message)
        super().permission_denied(request, message, code)


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse({"detail": "Not found."}, status=404)


def _get_or_404(qs: models.QuerySet, **lookup: Any) -> Any:
    obj = qs.filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj


# --- Claims ---------------------------------------------------------------------------------

CLAIM_KEY = ("public_changed_at", "id")


class ClaimListView(NewsroomAPIView):
    @extend_schema(
        operation_id="claims_list",
        summary="Published claims, or (with updated_since) what changed",
        description=(
            "Without `updated_since`: every published claim, oldest public change first, paged by "
            "cursor. With `updated_since`: every claim whose public state changed in a transaction "
            "committed after that time, retractions as tombstones (`status: retracted`), each claim "
            "once, in commit order. Every response carries `sync_watermark`: pass the watermark of "
            "the first page of this pass as `updated_since` next time, and no change is missed or "
            "repeated, however late its transaction committed."
        ),
        parameters=[filters.ClaimFilterParams],
        responses={
            200: _paged(
                "PaginatedClaimList",
                ClaimSerializer(many=True),
                sync_watermark=serializers.DateTimeField(
                    allow_null=True, help_text="Use as `updated_since` in your next sync."
                ),
            ),
            **COMMON_ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        params = filters.validated(filters.ClaimFilterParams, request)
        claim_filters = params.filters()
        size = params.page_size_or_default()
        token = params.validated_data.get("cursor")
        if claim_filters.updated_since is None:
            mode = "claims"
            fields = [Claim._meta.get_field(f) for f in CLAIM_KEY]
            cursor = pagination.decode_cursor(token, mode=mode, fields=fields) if token else None
            watermark = cursor.watermark if cursor else selectors.sync_watermark()
            qs = selectors.with_claim_details(selectors.claim_list(claim_filters))
            rows, next_url = pagination.page(
                request,
                qs,
                key_fields=CLAIM_KEY,
                page_size=size,
                cursor=cursor,
                mode=mode,
                watermark=watermark,
            )
        else:
            mode = "sync"
            fields = [PublicChange._meta.get_field("seq")]
            cursor = pagination.decode_cursor(token, mode=mode, fields=fields) if token else None
            # A pass is bounded by the watermark of its first page, carried in the cursor.
            watermark = cursor.watermark if cursor else selectors.sync_watermark()
            if watermark is None or watermark <= claim_filters.updated_since:
                # Nothing committed since: the client keeps its own point.
                changes, next_url, watermark = [], None, claim_filters.updated_since
            else:
                changes, next_url = pagination.page(
                    request,
                    selectors.latest_changes(claim_filters, until=watermark),
                    key_fields=("seq",),
                    page_size=size,
                    cursor=cursor,
                    mode=mode,
                    watermark=watermark,
                )
            rows = selectors.claims_by_id([c.claim_id for c in changes])
        return Response(
            {
                "next": next_url,
                "sync_watermark": watermark.isoformat() if watermark else None,
                "results": ClaimSerializer(rows, many=True).data,
            }
        )


class ClaimDetailView(NewsroomAPIView):
    @extend_schema(
        operation_id="claims_retrieve",
        summary="One published claim (or the tombstone of a retracted one)",
        responses={200: ClaimSerializer, **COMMON_ERRORS, **NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        claim = selectors.public_claim(pk)
        if claim is None:
            raise Http404
        return Response(ClaimSerializer(claim).data)


class ChangeFeedView(NewsroomAPIView):
    @extend_schema(
        operation_id="changes_list",
        summary="The change feed: every publication, correction and retraction, in commit order",
        description=(
            "Each change once, numbered by `seq` in the order transactions committed. Pass the last "
            "`seq` you processed as `after`. An empty page means you are up to date; ask again later "
            "with the same `after`."
        ),
        parameters=[filters.ChangeFeedParams],
        responses={
            200: _paged(
                "ChangeFeedPage",
                ChangeSerializer(many=True),
                last_seq=serializers.IntegerField(help_text="Pass as `after` next time."),
            ),
            **COMMON_ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        params = filters.validated(filters.ChangeFeedParams, request)
        after = params.validated_data["after"]
        size = params.validated_data.get("page_size") or settings.API_PAGE_SIZE
        changes = list(selectors.change_feed(after=after)[: size + 1])
        has_more = len(changes) > size
        changes = changes[:size]
        claims = {c.pk: c for c in selectors.claims_by_id(sorted({c.claim_id for c in changes}))}
        last_seq = changes[-1].seq if changes else after
        next_url = None
        if has_more:
            next_url = replace_query_param(request.build_absolute_uri(), "after", last_seq)
        return Response(
            {
                "next": next_url,
                "last_seq": last_seq,
                "results": ChangeSerializer(changes, many=True, context={"claims": claims}).data,
            }
        )


# --- Sources, claimants, topics, scales -----------------------------------------------------


class _KeyedListView(NewsroomAPIView):
    """A public list paged by id."""

    serializer_class: type[serializers.Serializer]
    model: type[models.Model]
    mode: str

    def queryset(self) -> models.QuerySet:
        raise NotImplementedError

    def get(self, request: Request) -> Response:
        params = filters.validated(filters.PageParams, request)
        token = params.validated_data.get("cursor")
        fields = [self.model._meta.get_field("id")]
        cursor = pagination.decode_cursor(token, mode=self.mode, fields=fields) if token else None
        rows, next_url = pagination.page(
            request,
            self.queryset(),
            key_fields=("id",),
            page_size=params.page_size_or_default(),
            cursor=cursor,
            mode=self.mode,
        )
        return Response({"next": next_url, "results": self.serializer_class(rows, many=True).data})


def _list_schema(name: str, serializer: type[serializers.Serializer], summary: str) -> Any:
    return extend_schema(
        operation_id=f"{name}_list",
        summary=summary,
        parameters=[filters.PageParams],
        responses={
            200: _paged(f"Paginated{serializer.__name__}List", serializer(many=True)),
            **COMMON_ERRORS,
        },
    )


def _detail_schema(name: str, serializer: type[serializers.Serializer], summary: str) -> Any:
    return extend_schema(
        operation_id=f"{name}_retrieve",
        summary=summary,
        responses={200: serializer, **COMMON_ERRORS, **NOT_FOUND},
    )


class SourceListView(_KeyedListView):
    serializer_class, model, mode = SourceSerializer, Source, "sources"

    def queryset(self) -> models.QuerySet:
        return selectors.public_sources()

    @_list_schema("sources", SourceSerializer, "Sources quoted or cited by published claims")
    def get(self, request: Request) -> Response:
        return super().get(request)


class SourceDetailView(NewsroomAPIView):
    @_detail_schema("sources", SourceSerializer, "One source")
    def get(self, request: Request, pk: int) -> Response:
        return Response(SourceSerializer(_get_or_404(selectors.public_sources(), pk=pk)).data)


class ClaimantListView(_KeyedListView):
    serializer_class, model, mode = ClaimantSerializer, Claimant, "claimants"

    def queryset(self) -> models.QuerySet:
        return selectors.public_claimants()

    @_list_schema("claimants", ClaimantSerializer, "Claimants of published claims")
    def get(self, request: Request) -> Response:
        return super().get(request)


class ClaimantDetailView(NewsroomAPIView):
    @_detail_schema("claimants", ClaimantSerializer, "One claimant")
    def get(self, request: Request, slug: str) -> Response:
        return Response(ClaimantSerializer(_get_or_404(selectors.public_claimants(), slug=slug)).data)


class TopicListView(_KeyedListView):
    serializer_class, model, mode = TopicSerializer, Topic, "topics"

    def queryset(self) -> models.QuerySet:
        return selectors.public_topics()

    @_list_schema("topics", TopicSerializer, "Topics of published claims")
    def get(self, request: Request) -> Response:
        return super().get(request)


class TopicDetailView(NewsroomAPIView):
    @_detail_schema("topics", TopicSerializer, "One topic")
    def get(self, request: Request, slug: str) -> Response:
        return Response(TopicSerializer(_get_or_404(selectors.public_topics(), slug=slug)).data)


class RatingScaleListView(NewsroomAPIView):
    @extend_schema(
        operation_id="rating_scales_list",
        summary="Rating scales and their labels, with ClaimReview numbers",
        responses={200: RatingScaleSerializer(many=True), **COMMON_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(RatingScaleSerializer(selectors.rating_scales(), many=True).data)
