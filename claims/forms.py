"""Forms of the reviewer workspace: the claim page's workflow actions and the annotation view.

They collect and shape input only; every rule is checked again by ``claims.services``, whose
``DomainError`` messages the views attach to the named field.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple

from claims.models import Claim, Claimant, Evidence, Rating, RatingScale, Stance, Topic, Verdict

REASON_HELP = "Recorded in the history with your name."


def _reason(required: bool, label: str = "Reason", help_text: str = REASON_HELP) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=500,
        help_text=help_text,
        widget=forms.TextInput(attrs={"size": 60}),
    )


def _public_note(help_text: str) -> forms.CharField:
    return forms.CharField(
        label="Public note",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=help_text,
    )


class RatingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Rating) -> str:
        value = f" ({obj.value})" if obj.value is not None else ""
        return f"{obj.label}{value}"


class ClaimActionForm(forms.Form):
    """Base of the claim page's action forms: knows its claim, and its verdict if it has one."""

    needs_verdict = False

    def __init__(self, *args: Any, claim: Claim, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.claim = claim
        if self.needs_verdict:
            self.fields["verdict"] = forms.ModelChoiceField(
                queryset=Verdict.objects.filter(claim=claim), widget=forms.HiddenInput
            )


class ProposeVerdictForm(ClaimActionForm):
    rating = RatingChoiceField(queryset=Rating.objects.none(), empty_label="— choose a rating —")
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 70}),
        help_text="Markdown. Why this rating: cite the evidence by what it says.",
    )
    evidence = forms.ModelMultipleChoiceField(
        queryset=Evidence.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Rests on",
    )
    reason = _reason(False)

    def __init__(self, *args: Any, claim: Claim, **kwargs: Any) -> None:
        super().__init__(*args, claim=claim, **kwargs)
        scale = RatingScale.objects.filter(is_default=True).first()
        ratings = Rating.objects.select_related("scale").order_by("scale__name", "position", "value")
        self.fields["rating"].queryset = ratings.filter(scale=scale) if scale else ratings
        self.fields["evidence"].queryset = (
            Evidence.objects.filter(claim=claim).select_related("snapshot__source").defer("snapshot__text")
        )
        self.fields["evidence"].label_from_instance = lambda e: (
            f"{e.get_stance_display()} · {e.snapshot.source.title}: “{e.exact[:90]}”"
        )


class SubmitVerdictForm(ClaimActionForm):
    needs_verdict = True
    reason = _reason(False)


class ApproveVerdictForm(ClaimActionForm):
    needs_verdict = True
    comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}), help_text="Optional."
    )


class SendBackVerdictForm(ClaimActionForm):
    needs_verdict = True
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Tell the author what to change.",
    )


class PublishClaimForm(ClaimActionForm):
    reason = _reason(False)


class CorrectVerdictForm(ClaimActionForm):
    needs_verdict = True
    public_note = _public_note("Shown to readers above the corrected verdict: what changed and why.")
    reason = _reason(True, help_text="Internal: why the correction. " + REASON_HELP)


class RetractClaimForm(ClaimActionForm):
    public_note = _public_note("Shown to readers: why this fact-check is withdrawn.")
    reason = _reason(True, help_text="Internal: why the retraction. " + REASON_HELP)


# --- Annotation view ------------------------------------------------------------------------


class SelectionForm(forms.Form):
    """A passage selected in the annotation view: offsets into the snapshot text it was taken
    from, and that snapshot's id and hash, to notice a text that changed under the reader."""

    snapshot_id = forms.IntegerField(widget=forms.HiddenInput)
    sha256 = forms.CharField(max_length=64, widget=forms.HiddenInput)
    start = forms.IntegerField(min_value=0, widget=forms.HiddenInput, required=False)
    end = forms.IntegerField(min_value=0, widget=forms.HiddenInput, required=False)
    exact = forms.CharField(
        required=False,
        strip=False,
        label="Selected passage",
        widget=forms.Textarea(attrs={"rows": 3, "readonly": True, "class": "selection-quote"}),
    )


def _admin_widget(model: type, field: str, multiple: bool = False) -> forms.Widget:
    widget = AutocompleteSelectMultiple if multiple else AutocompleteSelect
    return widget(model._meta.get_field(field), admin.site)


class CreateClaimForm(SelectionForm):
    statement = forms.CharField(
        label="Statement",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 50}),
        help_text="What is asserted, normalised: one plain sentence a reader can check.",
    )
    claimant = forms.ModelChoiceField(
        queryset=Claimant.objects.all(),
        required=False,
        widget=_admin_widget(Claim, "claimant"),
        help_text="Who asserts it: the author, or a person or body quoted.",
    )
    new_claimant = forms.CharField(
        label="…or a new claimant",
        required=False,
        max_length=300,
        help_text="Name of a claimant not yet listed.",
    )
    made_on = forms.DateField(
        label="Date made",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Defaults to the source's publication date.",
    )
    topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.all(),
        required=False,
        widget=_admin_widget(Claim, "topics", multiple=True),
    )
    new_topics = forms.CharField(label="…new topics", required=False, help_text="Comma-separated.")
    same_as = forms.ModelMultipleChoiceField(
        queryset=Claim.objects.all(), required=False, widget=forms.MultipleHiddenInput
    )

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("claimant") and not data.get("new_claimant", "").strip():
            self.add_error("claimant", "Pick who makes the claim, or type a new claimant's name.")
        return data

    @property
    def topic_names(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("new_topics", "").split(",") if t.strip()]


class AttachEvidenceForm(SelectionForm):
    claim = forms.ModelChoiceField(
        queryset=Claim.objects.all(),
        widget=_admin_widget(Evidence, "claim"),
        help_text="Search the claim by its words, its quote or its claimant.",
    )
    stance = forms.ChoiceField(choices=Stance.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 50}),
        help_text="Why this passage matters; shown to the public.",
    )
