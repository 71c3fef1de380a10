"""Streaming bulk exports: every published claim as NDJSON or CSV, or the ClaimReview
DataFeed. Constant memory (newsroom.exports walks a server-side cursor)."""

from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request

from claims.api.selectors import sync_watermark
from claims.api.views import COMMON_ERRORS, NewsroomAPIView
from newsroom import exports


def _stream(format_name: str) -> StreamingHttpResponse:
    generator, content_type, extension = exports.FORMATS[format_name]
    response = StreamingHttpResponse(generator(), content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="factcheck-{format_name}-{stamp}.{extension}"'
    response["Cache-Control"] = "no-store"
    # Taken before the export's own query starts: sync from it afterwards and nothing committed
    # meanwhile is missed (it may come twice, never not at all).
    watermark = sync_watermark()
    if watermark:
        response["X-Sync-Watermark"] = watermark.isoformat()
    return response


def _schema(operation_id: str, summary: str, media_type: str, body: Any = OpenApiTypes.STR) -> extend_schema:
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        responses={(200, media_type): OpenApiResponse(body), **COMMON_ERRORS},
    )


class NdjsonExportView(NewsroomAPIView):
    @_schema("export_ndjson", "Every published claim, one JSON object per line", "application/x-ndjson")
    def get(self, request: Request) -> StreamingHttpResponse:
        return _stream("ndjson")


class CsvExportView(NewsroomAPIView):
    @_schema("export_csv", "Every published claim as CSV, one row per claim", "text/csv")
    def get(self, request: Request) -> StreamingHttpResponse:
        return _stream("csv")


class ClaimReviewFeedView(NewsroomAPIView):
    @_schema(
        "export_claimreview",
        "The schema.org DataFeed of ClaimReview items",
        "application/ld+json",
        OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        return _stream("claimreview")
