"""The orders table's GET form: search, filters, sort."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice

from webapp.models import Channel
from webapp.orders.labels import ROUTING_LABELS, STATUS_LABELS, SYNC_LABELS
from webapp.orders.selection import SHIP_BY_FILTERS, SORT_COLUMNS, OrderFilters


def _choices(anything: str, labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice("", anything)] + [SelectChoice(value, label) for value, label in labels.items()]


class OrderFilterForm(FlaskForm):
    """Built from ``request.args`` with ``meta={"csrf": False}``; unknown values mean "all"."""

    q = SearchField("Search")
    status = SelectField("Status", choices=_choices("Any status", STATUS_LABELS), default="")
    channel_id = SelectField("Channel", default="")
    routing = SelectField("Routing", choices=_choices("Any routing", ROUTING_LABELS), default="")
    sync = SelectField("Tracking", choices=_choices("Any tracking state", SYNC_LABELS), default="")
    ship_by = SelectField("Ship by", choices=_choices("Any ship-by date", SHIP_BY_FILTERS), default="")
    attention = SelectField(
        "Attention",
        choices=[SelectChoice("", "All orders"), SelectChoice("1", "Needs attention")],
        default="",
    )
    sort = HiddenField(default="purchased")
    direction = HiddenField(default="desc")

    def set_channels(self, channels: list[Channel]) -> None:
        """Offer the account's channels in the channel filter."""
        self.channel_id.choices = [SelectChoice("", "All channels")] + [
            SelectChoice(str(c.id), c.name) for c in channels
        ]

    def filters(self) -> OrderFilters:
        """The valid filters (anything unknown in the URL is dropped, not an error page)."""
        self.validate()

        def valid(field) -> str:
            return "" if field.errors or not field.data else str(field.data)

        return OrderFilters(
            q=(self.q.data or "").strip()[:200],
            status=valid(self.status),
            channel_id=valid(self.channel_id),
            routing=valid(self.routing),
            sync=valid(self.sync),
            ship_by=valid(self.ship_by),
            attention=valid(self.attention),
            sort=self.sort.data if self.sort.data in SORT_COLUMNS else "purchased",
            direction="asc" if self.direction.data == "asc" else "desc",
        )
