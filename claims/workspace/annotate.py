"""The annotation view of a source: read its current text, see every claim and evidence quote
anchored in it, select a passage and make it a claim or attach it as evidence.

The text is rendered as a run of ``<span data-offset>`` segments inside a ``white-space:
pre-wrap`` block, cut at every anchor boundary, so that a DOM selection maps back to exact
character offsets into ``snapshot.text`` (see ``claims/static/claims/annotate.js``). The
server checks every selection again: same snapshot and hash as when the page loaded, the
quote equal to the text at its offsets, within one paragraph, not overlapping a claim.
"""

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views import View

from claims import services
from claims.forms import AttachEvidenceForm, CreateClaimForm, SelectionForm
from claims.models import Claim, Evidence, RelationKind
from factcheck.errors import DomainError
from sources.models import Snapshot, Source

STANCE_MARKERS = {"supports": "✓", "contradicts": "✗", "context": "ℹ"}


@dataclass(frozen=True)
class Annotation:
    key: str  # "c12" for claim 12, "e5" for evidence 5
    kind: str  # "claim" | "evidence"
    start: int
    end: int
    css: str
    label: str
    obj: Any


def annotations_for(snapshot: Snapshot) -> list[Annotation]:
    found = []
    claims = Claim.objects.filter(snapshot=snapshot).select_related("claimant").defer("search_vector")
    for c in claims.order_by("start", "pk"):
        found.append(
            Annotation(
                f"c{c.pk}",
                "claim",
                c.start,
                c.end,
                f"hl-claim hl-claim-{c.status}",
                f"◆ claim {c.pk} · {c.get_status_display().lower()}",
                c,
            )
        )
    evidence = (
        Evidence.objects.filter(snapshot=snapshot).select_related("claim").defer("claim__search_vector")
    )
    for e in evidence.order_by("start", "pk"):
        found.append(
            Annotation(
                f"e{e.pk}",
                "evidence",
                e.start,
                e.end,
                f"hl-ev hl-ev-{e.stance}",
                f"{STANCE_MARKERS.get(e.stance, '')} {e.get_stance_display().lower()} claim {e.claim_id}",
                e,
            )
        )
    return found


def render_text(text: str, annotations: list[Annotation]) -> SafeString:
    """The snapshot text as offset-carrying spans, cut at every anchor boundary.

    Each carriage return gets a span of its own: the HTML parser turns it into a line feed,
    and isolated it still counts as exactly one character.
    """
    cuts = {0, len(text)}
    for a in annotations:
        cuts.update((max(0, min(a.start, len(text))), max(0, min(a.end, len(text)))))
    at = text.find("\r")
    while at != -1:
        cuts.update((at, at + 1))
        at = text.find("\r", at + 1)
    bounds = sorted(cuts)
    parts = []
    for a_start, a_end in pairwise(bounds):
        covering = [a for a in annotations if a.start <= a_start and a.end >= a_end]
        classes = " ".join(["seg", *dict.fromkeys(c for a in covering for c in a.css.split())])
        starting = [a for a in covering if a.start == a_start]
        label = " | ".join(a.label for a in starting)
        ids = " ".join(a.key for a in covering)
        anchor_id = f"ann-{starting[0].key}" if starting else ""
        parts.append(
            format_html(
                '<span class="{}" data-offset="{}"{}{}{}>{}</span>',
                classes,
                a_start,
                format_html(' data-anns="{}"', ids) if ids else "",
                format_html(' data-label="{}"', label) if label else "",
                format_html(' id="{}"', anchor_id) if anchor_id else "",
                text[a_start:a_end],
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 - every part went through format_html


class SelectionRefused(DomainError):
    pass


def check_selection(
    source: Source, form: SelectionForm, *, for_claim: bool
) -> tuple[Snapshot, int, int, str]:
    """The selection as ``(snapshot, start, end, exact)``, or a clear refusal."""
    data = form.cleaned_data
    snapshot = source.current_snapshot
    if snapshot is None:
        raise SelectionRefused("This source has no text to select from yet.")
    if data["snapshot_id"] != snapshot.pk or data["sha256"] != snapshot.sha256:
        raise SelectionRefused(
            "The text of this source changed since you loaded the page (a new snapshot was taken). "
            "Reload the page and select the passage again."
        )
    start, end = data.get("start"), data.get("end")
    if start is None or end is None or start >= end or not data.get("exact", "").strip():
        raise SelectionRefused(
            "Select a passage in the text first (drag over it, or use “Find in text”).", field="exact"
        )
    text = snapshot.text
    if end > len(text) or text[start:end] != data["exact"]:
        raise SelectionRefused(
            "The selected words do not match the text at that position; reload the page and select again.",
            field="exact",
        )
    # Leading and trailing blanks are not part of a quote.
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    exact = text[start:end]
    if "\n" in exact or "\r" in exact:
        raise SelectionRefused(
            "Your selection spans more than one paragraph. A quote must sit within one paragraph: "
            "select a shorter passage.",
            field="exact",
        )
    if for_claim:
        overlap = (
            Claim.objects.filter(snapshot=snapshot, start__lt=end, end__gt=start)
            .only("pk", "statement")
            .first()
        )
        if overlap is not None:
            raise SelectionRefused(
                f"This passage overlaps claim {overlap.pk} (“{overlap.statement[:80]}”). Select a passage "
                "outside it, or open that claim to work on it.",
                field="exact",
            )
    return snapshot, start, end, exact


class AnnotateView(View):
    """GET shows the text and the panel; POST ``op=claim`` or ``op=evidence`` writes."""

    model_admin: Any = None
    template_name = "admin/sources/source/annotate.html"

    def get_source(self, request: HttpRequest, object_id: str) -> Source:
        source = self.model_admin.get_object(request, unquote(object_id))
        if source is None:
            raise Http404(f"No source with id {object_id!r}.")
        if not self.model_admin.has_view_permission(request, source):
            raise HttpForbidden
        return source

    def get(self, request: HttpRequest, object_id: str) -> HttpResponse:
        source = self.get_source(request, object_id)
        return self.render(request, source)

    def post(self, request: HttpRequest, object_id: str) -> HttpResponse:
        source = self.get_source(request, object_id)
        op = request.POST.get("op")
        if op == "claim":
            form = CreateClaimForm(request.POST, prefix="claim")
            if form.is_valid() and self._create_claim(request, source, form):
                return HttpResponseRedirect(request.path)
            return self.render(request, source, claim_form=form, active="claim")
        if op == "evidence":
            form = AttachEvidenceForm(request.POST, prefix="evidence")
            if form.is_valid() and self._attach_evidence(request, source, form):
                return HttpResponseRedirect(request.path)
            return self.render(request, source, evidence_form=form, active="evidence")
        messages.error(request, "Unknown operation: choose “Create claim” or “Attach as evidence”.")
        return HttpResponseRedirect(request.path)

    def _refused(self, form: SelectionForm, exc: DomainError) -> bool:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False

    def _create_claim(self, request: HttpRequest, source: Source, form: CreateClaimForm) -> bool:
        data = form.cleaned_data
        user = request.user
        try:
            snapshot, start, end, exact = check_selection(source, form, for_claim=True)
            # One transaction: a refused relation or topic leaves no half-made claim behind.
            with transaction.atomic():
                claimant = data["claimant"] or services.claimant_create(actor=user, name=data["new_claimant"])
                topics = [
                    *data["topics"],
                    *(services.topic_get_or_create(actor=user, name=n) for n in form.topic_names),
                ]
                claim = services.claim_create(
                    actor=user,
                    snapshot=snapshot,
                    exact=exact,
                    start=start,
                    end=end,
                    statement=data["statement"],
                    claimant=claimant,
                    made_on=data["made_on"] or source.published_on,
                    topics=topics,
                    reason="claim created from a passage in the annotation view",
                )
                for other in data["same_as"]:
                    services.claim_relate(
                        actor=user,
                        from_claim=claim,
                        to_claim=other,
                        kind=RelationKind.SAME_AS,
                        reason="marked as the same assertion while creating the claim",
                    )
        except DomainError as exc:
            return self._refused(form, exc)
        url = reverse(f"{self.model_admin.admin_site.name}:claims_claim_change", args=[claim.pk])
        messages.success(
            request,
            format_html(
                'Claim {} created: <a href="{}">“{}”</a>. Open it to add evidence and propose a verdict.',
                claim.pk,
                url,
                claim.statement,
            ),
        )
        return True

    def _attach_evidence(self, request: HttpRequest, source: Source, form: AttachEvidenceForm) -> bool:
        data = form.cleaned_data
        try:
            snapshot, start, end, exact = check_selection(source, form, for_claim=False)
            evidence = services.evidence_add(
                actor=request.user,
                claim=data["claim"],
                snapshot=snapshot,
                exact=exact,
                start=start,
                end=end,
                stance=data["stance"],
                note=data["note"],
                reason="evidence attached in the annotation view",
            )
        except DomainError as exc:
            return self._refused(form, exc)
        url = reverse(f"{self.model_admin.admin_site.name}:claims_claim_change", args=[evidence.claim_id])
        messages.success(
            request,
            format_html(
                'Passage attached as “{}” evidence to <a href="{}">claim {}</a>.',
                evidence.get_stance_display().lower(),
                url,
                evidence.claim_id,
            ),
        )
        return True

    def render(
        self,
        request: HttpRequest,
        source: Source,
        *,
        claim_form: CreateClaimForm | None = None,
        evidence_form: AttachEvidenceForm | None = None,
        active: str = "claim",
        status: int = 200,
    ) -> HttpResponse:
        snapshot = source.current_snapshot
        initial = {"snapshot_id": snapshot.pk, "sha256": snapshot.sha256} if snapshot else {}
        annotations = annotations_for(snapshot) if snapshot else []
        older = (
            Claim.objects.filter(snapshot__source=source).exclude(snapshot=snapshot).count()
            if snapshot
            else 0
        )
        claim_form = claim_form or CreateClaimForm(
            prefix="claim", initial={**initial, "made_on": source.published_on}
        )
        evidence_form = evidence_form or AttachEvidenceForm(prefix="evidence", initial=initial)
        admin_site = self.model_admin.admin_site
        context = {
            **admin_site.each_context(request),
            "title": f"Annotate: {source.title}",
            "subtitle": None,
            "opts": self.model_admin.opts,
            "original": source,
            "source": source,
            "snapshot": snapshot,
            "text_html": render_text(snapshot.text, annotations) if snapshot else "",
            "claims": [a for a in annotations if a.kind == "claim"],
            "evidence": [a for a in annotations if a.kind == "evidence"],
            "ranges": [{"key": a.key, "kind": a.kind, "start": a.start, "end": a.end} for a in annotations],
            "older_claims": older,
            "claim_form": claim_form,
            "evidence_form": evidence_form,
            "media": self.model_admin.media + claim_form.media + evidence_form.media,
            "active": active,
            "can_claim": request.user.has_perm("claims.add_claim"),
            "can_evidence": request.user.has_perm("claims.add_evidence"),
            "similar_url": reverse(f"{admin_site.name}:claims_claim_similar"),
            "has_view_permission": True,
        }
        request.current_app = admin_site.name
        return TemplateResponse(request, self.template_name, context, status=status)
