"""Views: the inventory table (search, filters, sort, pages; state in the URL) and the item page."""

from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from webapp.htmx import render
from webapp.inventory import bp
from webapp.inventory.forms import InventoryFilterForm
from webapp.listings.forms import BuildListingsForm
from webapp.models import SourceItem
from webapp.pagination import paginate
from webapp.services.inventory import has_items, inventory_query
from webapp.services.listings import account_channels
from webapp.services.sources import account_sources
from webapp.tenancy import current_account_id, get_owned_or_404


@bp.get("/")
@login_required
def index():
    """The inventory table; htmx requests get the table partial, every URL renders the full page."""
    account_id = current_account_id()
    sources = account_sources(account_id)
    form = InventoryFilterForm(request.args, meta={"csrf": False})
    form.set_sources(sources)
    filters = form.filters()
    items = paginate(inventory_query(account_id, filters))
    build_form = BuildListingsForm(formdata=None)
    build_form.set_channels(account_channels(account_id))
    return render(
        "inventory/index.html",
        "inventory/partials/_table.html",
        form=form,
        filters=filters,
        items=items,
        sources={source.id: source for source in sources},
        has_items=bool(items.items) or has_items(account_id),
        build_form=build_form,
    )


@bp.get("/<int:item_id>")
@login_required
def detail(item_id: int):
    """One source item with everything the supplier sent."""
    item = get_owned_or_404(SourceItem, item_id)
    return render_template("inventory/detail.html", item=item)
