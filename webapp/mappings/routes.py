"""Views: the template editor page, a row's inputs for a mode, save (validated), and the preview."""

from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask_login import login_required

from webapp.htmx import hx_redirect, render
from webapp.mappings import bp
from webapp.mappings.forms import field_for_slug, slug, switched_rule, template_from_form
from webapp.models import Channel, MappingMode, TemplatePurpose
from webapp.services.mapping_engine import (
    AMAZON_FIELDS,
    FIELD_LABELS,
    MODE_LABELS,
    PURPOSE_FIELDS,
    ROUNDINGS,
    ensure_template,
    template_errors,
)
from webapp.services.mapping_templates import preview, save_template
from webapp.tenancy import get_owned_or_404

PURPOSE_LABELS = {
    TemplatePurpose.SYNC: "Sync",
    TemplatePurpose.PUBLISH: "Publish",
    TemplatePurpose.OVERWRITE: "Overwrite",
}


def _purpose(value: str) -> TemplatePurpose:
    try:
        return TemplatePurpose(value)
    except ValueError:
        abort(404)


def _context(channel: Channel, purpose: TemplatePurpose, rules, errors: dict[str, list[str]]) -> dict:
    by_field = {rule.amazon_field: rule for rule in rules}
    return {
        "channel": channel,
        "purpose": purpose,
        "purposes": PURPOSE_LABELS,
        "rows": [
            {
                "spec": AMAZON_FIELDS[key],
                "rule": by_field.get(key),
                "slug": slug(key),
                "errors": errors.get(key, []),
            }
            for key in PURPOSE_FIELDS[purpose]
        ],
        "general_errors": errors.get("", []),
        "mode_labels": MODE_LABELS,
        "field_labels": FIELD_LABELS,
        "roundings": ROUNDINGS,
        "modes": MappingMode,
    }


@bp.get("/")
@login_required
def index(channel_id: int):
    """The channel's templates start with Sync."""
    get_owned_or_404(Channel, channel_id)
    return hx_redirect(url_for("mappings.edit", channel_id=channel_id, purpose=TemplatePurpose.SYNC.value))


@bp.get("/<purpose>")
@login_required
def edit(channel_id: int, purpose: str):
    """The editor of one template (the channel's default until the seller saves one)."""
    channel = get_owned_or_404(Channel, channel_id)
    kind = _purpose(purpose)
    template = ensure_template(channel.id, kind)
    return render(
        "mappings/edit.html", "mappings/partials/_editor.html", **_context(channel, kind, template.rules, {})
    )


@bp.post("/<purpose>")
@login_required
def save(channel_id: int, purpose: str):
    """Save the whole template, or show why it cannot work (422, errors on their rows)."""
    channel = get_owned_or_404(Channel, channel_id)
    kind = _purpose(purpose)
    spec = template_from_form(kind, request.form)
    errors = template_errors(spec)
    if errors:
        return render(
            "mappings/edit.html",
            "mappings/partials/_editor.html",
            status=422,
            **_context(channel, kind, spec.rules, errors),
        )
    save_template(ensure_template(channel.id, kind), spec)
    flash(f"{PURPOSE_LABELS[kind]} template saved.", "success")
    return hx_redirect(url_for("mappings.edit", channel_id=channel.id, purpose=kind.value))


@bp.get("/<purpose>/rows/<row>")
@login_required
def row(channel_id: int, purpose: str, row: str):
    """One row's inputs for the mode the seller picked (swapped in place of the row)."""
    channel = get_owned_or_404(Channel, channel_id)
    kind = _purpose(purpose)
    key = field_for_slug(kind, row)
    if key is None:
        abort(404)
    mode = request.args.get(f"{row}-mode", MappingMode.DO_NOT_MAP)
    if mode not in AMAZON_FIELDS[key].modes:
        abort(400)
    rule = switched_rule(key, mode, request.args)
    context = _context(channel, kind, [rule], {})
    return render_template(
        "mappings/partials/_row.html", row=next(r for r in context["rows"] if r["spec"].key == key), **context
    )


@bp.get("/<purpose>/preview")
@login_required
def preview_rows(channel_id: int, purpose: str):
    """What the saved template computes for a few of the channel's variants."""
    channel = get_owned_or_404(Channel, channel_id)
    kind = _purpose(purpose)
    template = ensure_template(channel.id, kind)
    rows = preview(channel, template)
    return render(
        "mappings/edit.html",
        "mappings/partials/_preview.html",
        preview_rows=rows,
        **_context(channel, kind, template.rules, {}),
    )
