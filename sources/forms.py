"""Forms of the "Add source" views: by URL, by upload, by paste. They check input; the
services (sources.services.ingest_*) decide and write."""

from typing import Any

from django import forms
from django.conf import settings

from factcheck.errors import DomainError
from sources.extraction import ExtractionError, sniff
from sources.fetching import human_size
from sources.models import Source, SourceKind
from sources.services import normalize_url


def _clean_url(value: str) -> str:
    try:
        url = normalize_url(value)
    except DomainError as exc:
        raise forms.ValidationError(exc.message) from exc
    if url and Source.objects.filter(url=url).exists():
        raise forms.ValidationError(f"A source with this address already exists: {url}")
    return url


class IngestUrlForm(forms.Form):
    url = forms.URLField(
        label="Address", max_length=2000, assume_scheme="https", widget=forms.URLInput(attrs={"size": 80})
    )
    title = forms.CharField(
        max_length=500, required=False, help_text="Leave empty to use the page's own title."
    )
    kind = forms.ChoiceField(choices=SourceKind.choices, initial=SourceKind.ARTICLE)

    def clean_url(self) -> str:
        return _clean_url(self.cleaned_data["url"])


class SourceDetailsForm(forms.Form):
    title = forms.CharField(max_length=500, widget=forms.TextInput(attrs={"size": 80}))
    kind = forms.ChoiceField(choices=SourceKind.choices, initial=SourceKind.ARTICLE)
    publisher = forms.CharField(label="Publisher / outlet", max_length=300, required=False)
    authors = forms.CharField(max_length=500, required=False, help_text="Comma-separated names.")
    published_on = forms.DateField(required=False, help_text="YYYY-MM-DD")
    language = forms.CharField(max_length=16, initial="en", help_text="BCP 47 tag, e.g. en, ru.")


class IngestUploadForm(SourceDetailsForm):
    file = forms.FileField(help_text="HTML, plain text or PDF; the type is read from the content.")
    field_order = ["file", "title", "kind", "publisher", "authors", "published_on", "language"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        self.fields["title"].help_text = "Leave empty to use the document's own title."
        self.fields["kind"].initial = SourceKind.REPORT
        self.fields["file"].help_text += f" At most {human_size(settings.UPLOAD_MAX_BYTES)}."

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {human_size(settings.UPLOAD_MAX_BYTES)}.")
        data = upload.read(settings.UPLOAD_MAX_BYTES + 1)
        try:
            sniff(data)
        except ExtractionError as exc:
            raise forms.ValidationError(exc.message) from exc
        self.cleaned_data["data"] = data
        return upload


class IngestPasteForm(SourceDetailsForm):
    url = forms.URLField(label="Address (optional)", max_length=2000, required=False, assume_scheme="https")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 20, "cols": 100}),
        help_text="The document's text. Markup and site chrome are cleaned up the same way as for fetched pages.",
    )
    field_order = ["title", "text", "kind", "url", "publisher", "authors", "published_on", "language"]

    def clean_url(self) -> str:
        return _clean_url(self.cleaned_data.get("url", ""))
