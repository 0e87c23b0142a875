"""Forms of the connections pages: connect (marketplace), manual entry, edit, CSRF-only buttons."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from webapp.amazon.marketplaces import get_marketplace
from webapp.services.connections import CONNECT_MARKETPLACES, REFRESH_TOKEN_PATTERN, SELLER_ID_PATTERN


def _choice(marketplace_id: str, name: str) -> SelectChoice:
    """``United States (US) · ATVPDKIKX0DER``: the country, its code and the marketplace id."""
    return SelectChoice(
        marketplace_id, f"{name} ({get_marketplace(marketplace_id).country_code}) · {marketplace_id}"
    )


MARKETPLACE_CHOICES = [_choice(marketplace_id, name) for marketplace_id, name in CONNECT_MARKETPLACES]

SELLER_ID_MESSAGE = (
    "A Selling Partner ID looks like A1B2C3D4E5F6G7: a capital A and 9 to 19 capitals or digits "
    "(Seller Central › Settings › Account Info › Merchant Token)."
)
REFRESH_TOKEN_MESSAGE = (
    "A refresh token starts with Atzr| followed by letters and digits, with no spaces. Copy it again from "
    "the Developer Central page where you authorized the app."
)


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _marketplace_field() -> SelectField:
    return SelectField(
        "Marketplace", choices=MARKETPLACE_CHOICES, validators=[DataRequired()], default="ATVPDKIKX0DER"
    )


class ConnectForm(FlaskForm):
    """Connect with Amazon: the marketplace decides which Seller Central the seller is sent to."""

    marketplace_id = _marketplace_field()
    submit = SubmitField("Connect with Amazon")


class ManualConnectionForm(FlaskForm):
    """A seller who authorized from the Appstore pastes what Amazon gave them."""

    name = StringField("Connection name", validators=[DataRequired(), Length(max=120)], filters=[_strip])
    selling_partner_id = StringField(
        "Selling Partner ID",
        validators=[DataRequired(), Regexp(f"^{SELLER_ID_PATTERN.pattern}$", message=SELLER_ID_MESSAGE)],
        filters=[_strip],
    )
    marketplace_id = _marketplace_field()
    # A password field never renders its value back, so a re-shown form cannot leak the token.
    refresh_token = PasswordField(
        "Refresh token",
        validators=[
            DataRequired(),
            Regexp(f"^{REFRESH_TOKEN_PATTERN.pattern}$", message=REFRESH_TOKEN_MESSAGE),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    submit = SubmitField("Save and test")


class EditConnectionForm(FlaskForm):
    """Rename, change the marketplace, or paste a new refresh token (blank keeps the stored one)."""

    name = StringField("Connection name", validators=[DataRequired(), Length(max=120)], filters=[_strip])
    marketplace_id = _marketplace_field()
    refresh_token = PasswordField(
        "Refresh token",
        validators=[
            Optional(),
            Regexp(f"^{REFRESH_TOKEN_PATTERN.pattern}$", message=REFRESH_TOKEN_MESSAGE),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "off", "spellcheck": "false", "placeholder": "unchanged"},
    )
    submit = SubmitField("Save")


class ConfirmForm(FlaskForm):
    """A button that only needs a CSRF token (test, re-authorize, delete)."""
