"""Forms of the listings pages: the table's GET filters, the bulk action buttons, Build listings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from webapp.models import Channel, Source, VariantStatus
from webapp.services.listing_selection import SORT_COLUMNS, VariantFilters
from webapp.services.listings import BULK_ACTIONS


class ListingFilterForm(FlaskForm):
    """Built from ``request.args`` with ``meta={"csrf": False}``; unknown values mean "all"."""

    q = SearchField("Search")
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status")] + [SelectChoice(s.value, s.label) for s in VariantStatus],
        default="",
    )
    fulfillment = SelectField(
        "Fulfilment",
        choices=[SelectChoice("", "FBM and FBA"), SelectChoice("fbm", "FBM"), SelectChoice("fba", "FBA")],
        default="",
    )
    has_error = SelectField(
        "Errors", choices=[SelectChoice("", "With or without"), SelectChoice("1", "Has an error")], default=""
    )
    source_id = SelectField("Source", default="")
    sort = HiddenField(default="sku")
    direction = HiddenField(default="asc")

    def set_sources(self, sources: list[Source]) -> None:
        """Offer the account's sources in the source filter."""
        self.source_id.choices = [SelectChoice("", "All sources")] + [
            SelectChoice(str(s.id), s.name) for s in sources
        ]

    def filters(self) -> VariantFilters:
        """The valid filters (anything unknown in the URL is dropped, not an error page)."""
        self.validate()

        def valid(field) -> str:
            return "" if field.errors or not field.data else str(field.data)

        return VariantFilters(
            q=(self.q.data or "").strip()[:200],
            status=valid(self.status),
            fulfillment=valid(self.fulfillment),
            has_error=valid(self.has_error),
            source_id=valid(self.source_id),
            sort=self.sort.data if self.sort.data in SORT_COLUMNS else "sku",
            direction="desc" if self.direction.data == "desc" else "asc",
        )


class BulkActionForm(FlaskForm):
    """The confirmation's Run button: the action and the selection it was asked for (JSON)."""

    action = HiddenField(validators=[DataRequired()])
    selection = HiddenField(validators=[DataRequired()])
    dry_run = BooleanField("Dry run")

    def validate_action(self, field) -> None:
        """Only the table's actions."""
        if field.data not in BULK_ACTIONS:
            raise ValidationError("Unknown action.")


class BuildListingsForm(FlaskForm):
    """Build listings from the inventory table's selection on a chosen channel."""

    channel_id = SelectField("Channel", coerce=int, validators=[DataRequired()])
    all_matching = BooleanField("All items matching the filter")

    def set_channels(self, channels: list[Channel]) -> None:
        """Offer the account's channels."""
        self.channel_id.choices = [SelectChoice(c.id, c.name) for c in channels]
