"""The forms of the ingest pages: the reports list's search, and the upload of report files."""

from __future__ import annotations

from django import forms


class ReportFilterForm(forms.Form):
    """The reports list's search; a value that is no text (a NUL byte) is ignored."""

    q = forms.CharField(required=False, max_length=100)

    def search(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("q") or ""


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".xml,.gz,.zip,.eml"}))
        # An empty file is ingestion's to reject, with a Rejection row, like any other bad input.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label="Report files", help_text="XML, gzip, zip or email (.eml); several at once."
    )
