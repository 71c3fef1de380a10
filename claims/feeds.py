"""Atom and RSS feeds of published and corrected fact-checks, newest change first."""

import datetime as dt

from django.contrib.syndication.views import Feed
from django.db.models import F
from django.db.models.query import QuerySet
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from claims.models import Claim, ClaimStatus
from claims.selectors import public_claims

FEED_SIZE = 50


class FactChecksFeed(Feed):
    title = "Latest fact-checks"
    link = reverse_lazy("public:claim-list")
    description = "Fact-checks as they are published and corrected."

    def items(self) -> QuerySet[Claim]:
        # Only published claims: a retracted one has no verdict to announce.
        return (
            public_claims()
            .filter(status=ClaimStatus.PUBLISHED)
            .annotate(public_note=F("pv__public_note"), corrects_id=F("pv__corrects_id"))
            .order_by("-public_changed_at", "-id")[:FEED_SIZE]
        )

    def item_title(self, item: Claim) -> str:
        prefix = "Corrected: " if item.corrects_id else ""
        return f"{prefix}{item.rating_label}: {item.statement}"

    def item_description(self, item: Claim) -> str:
        # Feed readers treat the description as HTML: escape every stored string.
        parts = [
            f"<p>{escape(item.claimant.name)} said: “{escape(item.exact)}”</p>",
            f"<p>Our rating: <strong>{escape(item.rating_original or item.rating_label)}</strong></p>",
        ]
        if item.corrects_id and item.public_note:
            parts.append(f"<p>Correction: {escape(item.public_note)}</p>")
        return "".join(parts)

    def item_link(self, item: Claim) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Claim) -> str:
        # A correction is news of its own: the guid changes with the public state.
        return f"{item.get_absolute_url()}#{item.public_changed_at.isoformat()}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Claim) -> dt.datetime | None:
        return item.published_at

    def item_updateddate(self, item: Claim) -> dt.datetime | None:
        return item.public_changed_at

    def item_author_name(self, item: Claim) -> str:
        from django.conf import settings

        return settings.PUBLISHER_NAME


class FactChecksAtomFeed(FactChecksFeed):
    feed_type = Atom1Feed
    subtitle = FactChecksFeed.description
