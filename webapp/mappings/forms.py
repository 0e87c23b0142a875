"""The editor's form: one group of inputs per Amazon field, named ``<slug>-<input>``, read into a template."""

from __future__ import annotations

from collections.abc import Mapping

from webapp.models import MappingMode, TemplatePurpose
from webapp.services.mapping_engine import (
    AMAZON_FIELDS,
    PRICE_PARAMS,
    PURPOSE_FIELDS,
    QUANTITY_PARAMS,
    RuleSpec,
    TemplateSpec,
)


def slug(amazon_field: str) -> str:
    """An HTML-safe name for an Amazon field (``amazon.product.title`` → ``amazon-product-title``)."""
    return amazon_field.replace(".", "-")


def field_for_slug(purpose: TemplatePurpose, value: str) -> str | None:
    """The Amazon field of ``purpose`` whose slug is ``value`` (None when there is none)."""
    return next((key for key in PURPOSE_FIELDS[purpose] if slug(key) == value), None)


def rule_from_form(amazon_field: str, form: Mapping, mode: str | None = None) -> RuleSpec:
    """One row as submitted; ``mode`` overrides the submitted one (the mode switch), keeping settings."""
    prefix = slug(amazon_field)
    mode = mode or form.get(f"{prefix}-mode") or MappingMode.DO_NOT_MAP
    rule = RuleSpec(amazon_field, mode)
    if mode in (MappingMode.FIELD, MappingMode.PRICE_RULE, MappingMode.QUANTITY_RULE):
        rule.field = (form.get(f"{prefix}-field") or "").strip()
    if mode == MappingMode.CONSTANT:
        rule.constant = (form.get(f"{prefix}-constant") or "").strip()
    if mode == MappingMode.PRICE_RULE:
        rule.params = {
            name: (form.get(f"{prefix}-{name}", default) or "").strip()
            for name, default in PRICE_PARAMS.items()
            if name != "respect_map"
        }
        # An unticked checkbox sends nothing: absent means off once the form was submitted.
        rule.params["respect_map"] = form.get(f"{prefix}-respect_map") in ("y", "on", "1", "true")
    if mode == MappingMode.QUANTITY_RULE:
        rule.params = {
            name: (form.get(f"{prefix}-{name}", default) or "").strip()
            for name, default in QUANTITY_PARAMS.items()
        }
    return rule


def template_from_form(purpose: TemplatePurpose, form: Mapping) -> TemplateSpec:
    """The whole template as submitted."""
    return TemplateSpec(purpose.value, [rule_from_form(key, form) for key in PURPOSE_FIELDS[purpose]])


def switched_rule(amazon_field: str, mode: str, args: Mapping) -> RuleSpec:
    """The row after the seller picked ``mode``: the first possible field, rule settings from the defaults."""
    rule = rule_from_form(amazon_field, args, mode)
    sources = AMAZON_FIELDS[amazon_field].sources
    if (
        mode in (MappingMode.FIELD, MappingMode.PRICE_RULE, MappingMode.QUANTITY_RULE)
        and not rule.field
        and sources
    ):
        rule.field = sources[0]
    prefix = slug(amazon_field)
    if mode == MappingMode.PRICE_RULE and f"{prefix}-markup" not in args:
        rule.params = dict(PRICE_PARAMS)
    if mode == MappingMode.QUANTITY_RULE and f"{prefix}-buffer" not in args:
        rule.params = dict(QUANTITY_PARAMS)
    return rule
