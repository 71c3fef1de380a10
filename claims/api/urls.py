from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from claims.api import exports, views

app_name = "api"

urlpatterns = [
    path("claims/", views.ClaimListView.as_view(), name="claim-list"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="claim-detail"),
    path("changes/", views.ChangeFeedView.as_view(), name="change-feed"),
    path("sources/", views.SourceListView.as_view(), name="source-list"),
    path("sources/<int:pk>/", views.SourceDetailView.as_view(), name="source-detail"),
    path("claimants/", views.ClaimantListView.as_view(), name="claimant-list"),
    path("claimants/<slug:slug>/", views.ClaimantDetailView.as_view(), name="claimant-detail"),
    path("topics/", views.TopicListView.as_view(), name="topic-list"),
    path("topics/<slug:slug>/", views.TopicDetailView.as_view(), name="topic-detail"),
    path("rating-scales/", views.RatingScaleListView.as_view(), name="rating-scale-list"),
    path("export/claims.ndjson", exports.NdjsonExportView.as_view(), name="export-ndjson"),
    path("export/claims.csv", exports.CsvExportView.as_view(), name="export-csv"),
    path("export/claimreview.json", exports.ClaimReviewFeedView.as_view(), name="export-claimreview"),
    # The schema and its docs are public: they describe the API, they do not reveal data.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    # Anything else under /api/v1/ (a malformed id, an unknown path) is a JSON 404, not the
    # public site's HTML page.
    re_path(r"^[\s\S]*$", views.not_found, name="not-found"),
]
