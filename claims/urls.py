"""Public site URLs (namespace ``public``). The site root is the public home page."""

from django.urls import path

from claims import views
from claims.feeds import FactChecksAtomFeed, FactChecksFeed

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("claims/", views.claim_list, name="claim-list"),
    path("claims/<int:pk>-<slug:slug>/", views.claim_detail, name="claim-detail"),
    path("claims/<int:pk>/", views.claim_detail, name="claim-detail-short"),
    path("claimants/<slug:slug>/", views.claimant_detail, name="claimant-detail"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic-detail"),
    path("sources/<int:pk>/", views.source_detail, name="source-detail"),
    path("sources/<int:pk>/snapshots/<int:snapshot_id>/", views.snapshot_detail, name="source-snapshot"),
    path("methodology/", views.methodology, name="methodology"),
    path("feeds/fact-checks.rss", views.public_page(FactChecksFeed()), name="feed-rss"),
    path("feeds/fact-checks.atom", views.public_page(FactChecksAtomFeed()), name="feed-atom"),
]
