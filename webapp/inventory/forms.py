"""The inventory table's GET form: search, source and stock filters, sort."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice

from webapp.models import Source
from webapp.services.inventory import InventoryFilters, valid_sort


class InventoryFilterForm(FlaskForm):
    """Built from ``request.args`` with ``meta={"csrf": False}``; unknown values are ignored."""

    q = SearchField("Search")
    source = SelectField("Source", default="")
    stock = SelectField(
        "Stock",
        choices=[
            SelectChoice("", "Any stock"),
            SelectChoice("in", "In stock"),
            SelectChoice("out", "Out of stock"),
        ],
        default="",
    )
    sort = HiddenField(default="sku")

    def set_sources(self, sources: list[Source]) -> None:
        """Offer the account's sources in the source filter."""
        self.source.choices = [SelectChoice("", "All sources")] + [
            SelectChoice(str(s.id), s.name) for s in sources
        ]

    def filters(self) -> InventoryFilters:
        """The valid filters (an unknown source or stock value in the URL means "all")."""
        self.validate()
        source = self.source.data if not self.source.errors and self.source.data else ""
        stock = self.stock.data if not self.stock.errors else ""
        return InventoryFilters(
            q=(self.q.data or "").strip()[:200],
            source_id=int(source) if source else None,
            stock=stock or "",
            sort=valid_sort(self.sort.data),
        )
