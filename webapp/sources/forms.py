"""Forms of the sources pages: a source, a CSV upload, the column mapping, CSRF-only buttons."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from webapp.services.csv_import.columns import FIELDS, IGNORE


class SourceForm(FlaskForm):
    """A supplier's details and its compliance with Amazon's Business Solutions Agreement."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    contact_email = EmailField(
        "Contact email", validators=[Optional(), Email(check_deliverability=False), Length(max=254)]
    )
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])
    bsa_compliant = BooleanField(
        "Compliance with Amazon Services Business Solutions Agreement", default=False
    )
    submit = SubmitField("Save source")

    def values(self) -> dict:
        """The submitted values, trimmed."""
        return {
            "name": self.name.data.strip(),
            "contact_email": (self.contact_email.data or "").strip(),
            "notes": (self.notes.data or "").strip(),
            "bsa_compliant": bool(self.bsa_compliant.data),
        }


class UploadForm(FlaskForm):
    """A supplier inventory CSV."""

    file = FileField(
        "Inventory CSV",
        validators=[
            FileRequired("Choose a CSV file to upload."),
            FileAllowed(["csv", "txt", "tsv"], "Upload a .csv file (in Excel: File → Save As → CSV UTF-8)."),
        ],
    )
    submit = SubmitField("Upload and import")


class ConfirmForm(FlaskForm):
    """A button that only needs a CSRF token (delete, start import)."""


FIELD_CHOICES = [SelectChoice(IGNORE, "Ignore this column")] + [SelectChoice(f.name, f.label) for f in FIELDS]


class MappingForm(FlaskForm):
    """One select per file column (added by :func:`mapping_form`): the field it feeds, or ignore."""

    submit = SubmitField("Save mapping and import")

    def column_fields(self) -> list:
        """The column selects in file order."""
        return [field for name, field in self._fields.items() if name.startswith("col_")]

    def mapping(self) -> list[str]:
        """The chosen field of each column, by position."""
        return [field.data or IGNORE for field in self.column_fields()]


def mapping_form(headers: list[str], mapping: list[str]) -> MappingForm:
    """A :class:`MappingForm` for a file with these ``headers``, preselected with ``mapping``."""

    class FileMappingForm(MappingForm):
        pass

    for index, header in enumerate(headers):
        current = mapping[index] if index < len(mapping) else IGNORE
        label = header or f"Column {index + 1}"
        setattr(FileMappingForm, f"col_{index}", SelectField(label, choices=FIELD_CHOICES, default=current))
    return FileMappingForm()
