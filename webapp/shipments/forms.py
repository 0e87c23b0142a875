"""Forms of the shipment pages: a package's carrier and tracking, and the CSV upload.

The items of a new package are not WTForms fields: the page renders one ``quantity-<item id>`` input
per order item and the view reads them (``quantities_from``), because the fields depend on the order.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from webapp.services.carriers import CARRIER_CODES
from webapp.services.shipments import ShipmentDetails
from webapp.timeutil import utcnow


class ShipmentForm(FlaskForm):
    """Carrier (Amazon's list or Other + name), shipping method, tracking number and ship date.

    Field rules live in ``webapp.services.shipments`` (the CSV upload needs the same ones); the form
    only collects the values and shows the service's reasons next to the fields.
    """

    carrier_code = SelectField(
        "Carrier", choices=[SelectChoice(code, code) for code in CARRIER_CODES], default="USPS"
    )
    carrier_name = StringField("Carrier name (with Other)")
    shipping_method = StringField("Shipping method")
    tracking_number = StringField("Tracking number")
    ship_date = DateField("Ship date", validators=[Optional()], default=lambda: utcnow().date())

    def details(self) -> ShipmentDetails:
        """The values as the service takes them."""
        return ShipmentDetails(
            carrier_code=self.carrier_code.data or "",
            carrier_name=self.carrier_name.data or "",
            shipping_method=self.shipping_method.data or "",
            tracking_number=self.tracking_number.data or "",
            ship_date=self.ship_date.data,
        )

    def show_errors(self, errors: dict[str, str]) -> None:
        """Attach the service's reasons to the matching fields."""
        for name, message in errors.items():
            field = getattr(self, name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, message]


def quantities_from(form: MultiDict) -> tuple[dict[int, int], dict[str, str]]:
    """The ``quantity-<item id>`` inputs as ``{item id: quantity}`` and the reason of each unreadable one."""
    quantities: dict[int, int] = {}
    errors: dict[str, str] = {}
    for name, value in form.items():
        if not name.startswith("quantity-") or not name[9:].isdigit():
            continue
        text = value.strip()
        if not text:
            quantities[int(name[9:])] = 0
        elif text.isdigit():
            quantities[int(name[9:])] = int(text)
        else:
            errors[name] = "Enter a whole number."
    return quantities, errors


class DeleteShipmentForm(FlaskForm):
    """The confirmation of a package's deletion (no fields: the CSRF token only)."""


class ShipmentUploadForm(FlaskForm):
    """A CSV of shipments (one line per order item of a package)."""

    file = FileField(
        "Shipments CSV",
        validators=[
            FileRequired("Choose a CSV file to upload."),
            FileAllowed(["csv", "txt", "tsv"], "Upload a .csv file (in Excel: File → Save As → CSV UTF-8)."),
        ],
    )
