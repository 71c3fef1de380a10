"""The claim page's workflow: which actions a user may take now, and the view that runs one.

What is offered follows the user's role and the claim's state; the services check both again
and have the last word (a forged POST gets their refusal as an error message, never a 500).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.views import View

from claims import forms as wf
from claims import services
from claims.models import Claim, ClaimStatus, Verdict, VerdictStatus
from factcheck.errors import DomainError

RETRY_SESSION_KEY = "workspace_workflow_retry"


@dataclass(frozen=True)
class ActionSpec:
    name: str
    label: str
    form_class: type[wf.ClaimActionForm]
    run: Callable[[AbstractBaseUser, Claim, dict[str, Any]], str]
    style: str = ""  # "primary" | "danger" | ""
    explain: str = ""


def _propose(user: AbstractBaseUser, claim: Claim, data: dict) -> str:
    verdict = services.verdict_propose(
        actor=user,
        claim=claim,
        rating=data["rating"],
        rationale=data["rationale"],
        evidence=data["evidence"],
        reason=data["reason"],
    )
    return f"Verdict “{verdict.rating}” proposed as a draft. Submit it when it is ready for an editor."


def _submit(user: AbstractBaseUser, claim: Claim, data: dict) -> str:
    services.verdict_submit(actor=user, verdict=data["verdict"], reason=data["reason"])
    return "Verdict submitted: it now waits for an editor's review."


def _approve(user: AbstractBaseUser, claim: Claim, data: dict) -> str:
    services.verdict_approve(actor=user, verdict=data["verdict"], comment=data["comment"])
    return "Verdict approved."


def _send_back(user: AbstractBaseUser, claim: Claim, data: dict) -> str:
    services.verdict_send_back(actor=user, verdict=data["verdict"], comment=data["comment"])
    return "Verdict sent back to its author as a draft, with your comment."


def _publish(user: AbstractBaseUser, claim: Claim, data: dict) -> str:
    services.claim_publish(actor=user, claim=claim, reason=data["reason"])
    return "Published: the claim and its verdict are now public."


def _correct(user: AbstractBaseUser, claim: Claim, data: dict) -> str:
    services.verdict_correct(
        actor=user, verdict=data["verdict"], public_note=data["public_note"], reason=data["reason"]
    )
    return "Correction published; readers see the note and the earlier verdict."


def _retract(user: AbstractBaseUser, claim: Claim, data: dict) -> str:
    services.claim_retract(actor=user, claim=claim, public_note=data["public_note"], reason=data["reason"])
    return "Claim retracted; readers see the retraction and its note."


ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in [
        ActionSpec("propose", "Propose verdict", wf.ProposeVerdictForm, _propose, "primary"),
        ActionSpec(
            "submit",
            "Submit for review",
            wf.SubmitVerdictForm,
            _submit,
            "primary",
            "An editor other than the author will approve it or send it back.",
        ),
        ActionSpec("approve", "Approve", wf.ApproveVerdictForm, _approve, "primary"),
        ActionSpec("send_back", "Send back", wf.SendBackVerdictForm, _send_back),
        ActionSpec(
            "publish",
            "Publish",
            wf.PublishClaimForm,
            _publish,
            "primary",
            "The claim and its approved verdict go to the public site and the API.",
        ),
        ActionSpec(
            "correct",
            "Publish correction",
            wf.CorrectVerdictForm,
            _correct,
            "primary",
            "The approved verdict replaces the published one; the old one stays visible as history.",
        ),
        ActionSpec(
            "retract",
            "Retract",
            wf.RetractClaimForm,
            _retract,
            "danger",
            "Withdraws the fact-check. Readers see that it was retracted, and why.",
        ),
    ]
}


@dataclass
class OfferedAction:
    spec: ActionSpec
    form: forms.Form
    url: str
    open: bool = False  # shown unfolded: the form came back with errors


@dataclass
class Workflow:
    claim: Claim
    verdicts: list[Verdict]
    open_verdict: Verdict | None
    actions: list[OfferedAction] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    can_edit_draft: bool = False


def offered_action_names(user: AbstractBaseUser, claim: Claim, open_verdict: Verdict | None) -> list[str]:
    """The actions to show this user for this claim now (the services decide for real)."""
    can = user.has_perm
    names = []
    status = open_verdict.status if open_verdict else None
    is_author = open_verdict is not None and open_verdict.author_id == user.pk
    if claim.status != ClaimStatus.RETRACTED and open_verdict is None and can("claims.add_verdict"):
        names.append("propose")
    if status == VerdictStatus.DRAFT and (is_author or can("claims.review_verdict")):
        names.append("submit")
    if status == VerdictStatus.IN_REVIEW and not is_author and can("claims.review_verdict"):
        names += ["approve", "send_back"]
    if status == VerdictStatus.APPROVED and can("claims.publish_claim"):
        if claim.status == ClaimStatus.APPROVED:
            names.append("publish")
        elif claim.status == ClaimStatus.PUBLISHED:
            names.append("correct")
    if claim.status == ClaimStatus.PUBLISHED and can("claims.publish_claim"):
        names.append("retract")
    return names


def claim_verdicts(claim: Claim) -> list[Verdict]:
    return list(
        claim.verdicts.select_related("rating", "author", "corrects__rating")
        .prefetch_related("reviews__reviewer", "evidence")
        .order_by("-created_at", "-pk")
    )


def build_workflow(request: HttpRequest, claim: Claim, admin_name: str = "admin") -> Workflow:
    verdicts = claim_verdicts(claim)
    open_verdict = next((v for v in verdicts if v.status in services.OPEN_VERDICT_STATUSES), None)
    user = request.user
    retry = request.session.pop(RETRY_SESSION_KEY, None)
    if retry and retry.get("claim") != claim.pk:
        retry = None
    flow = Workflow(claim=claim, verdicts=verdicts, open_verdict=open_verdict)
    for name in offered_action_names(user, claim, open_verdict):
        spec = ACTIONS[name]
        initial = {"verdict": open_verdict.pk} if spec.form_class.needs_verdict and open_verdict else {}
        if retry and retry["action"] == name:
            form = spec.form_class(MultiValueDict(retry["data"]), claim=claim, initial=initial)
            form.is_valid()  # shows the errors of the attempt that failed
        else:
            form = spec.form_class(claim=claim, initial=initial)
        url = reverse(f"{admin_name}:claims_claim_workflow", args=[claim.pk, name])
        flow.actions.append(OfferedAction(spec, form, url, open=bool(retry and retry["action"] == name)))
    if open_verdict is not None:
        is_author = open_verdict.author_id == user.pk
        flow.can_edit_draft = open_verdict.status == VerdictStatus.DRAFT and (
            is_author or user.has_perm("claims.review_verdict")
        )
        if open_verdict.status == VerdictStatus.IN_REVIEW and is_author:
            flow.notes.append("Your verdict waits for another editor: nobody reviews their own verdict.")
        elif open_verdict.status == VerdictStatus.IN_REVIEW and not user.has_perm("claims.review_verdict"):
            flow.notes.append("This verdict waits for an editor's review.")
        elif open_verdict.status == VerdictStatus.APPROVED and not user.has_perm("claims.publish_claim"):
            flow.notes.append("Approved: an editor will publish it.")
    return flow


class WorkflowActionView(View):
    """POST /admin/claims/claim/<id>/workflow/<action>/: run one workflow service."""

    http_method_names = ["post"]
    model_admin: Any = None

    def post(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        spec = ACTIONS.get(action)
        if spec is None:
            raise Http404(f"No workflow action {action!r}.")
        claim = self.model_admin.get_object(request, unquote(object_id))
        if claim is None:
            raise Http404(f"No claim with id {object_id!r}.")
        if not self.model_admin.has_view_permission(request, claim):
            raise HttpForbidden
        back = reverse(f"{self.model_admin.admin_site.name}:claims_claim_change", args=[claim.pk])
        form = spec.form_class(request.POST, claim=claim)
        if form.is_valid():
            try:
                message = spec.run(request.user, claim, form.cleaned_data)
            except DomainError as exc:  # PermissionDenied included: the services refused
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, message)
                return HttpResponseRedirect(f"{back}#workflow")
        errors = "; ".join(
            f"{form.fields[f].label or f}: {' '.join(e)}"
            if f in form.fields and f != "__all__"
            else " ".join(e)
            for f, e in form.errors.items()
        )
        messages.error(request, f"{spec.label}: {errors}")
        # The claim page binds the form again from this data, so nothing typed is lost.
        request.session[RETRY_SESSION_KEY] = {
            "claim": claim.pk,
            "action": action,
            "data": {k: request.POST.getlist(k) for k in request.POST if k != "csrfmiddlewaretoken"},
        }
        return HttpResponseRedirect(f"{back}#workflow")
