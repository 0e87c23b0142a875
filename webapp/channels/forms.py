"""The channel settings form, with one schedule sub-form per schedulable integration."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.amazon.marketplaces import MARKETPLACES
from webapp.models import Channel, Connection, ImportMode, RunKind
from webapp.models.channel import DEFAULT_ORDER_STATUSES, ORDER_STATUSES
from webapp.services.channels import (
    IMPORT_MODE_LABELS,
    REGION_NAMES,
    ChannelSettings,
    channel_on,
    fulfillment_choices,
    fulfillment_error,
    marketplaces_in,
    name_taken,
    order_status_label,
    owned_connection,
)
from webapp.services.schedules import MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES, SCHEDULABLE_KINDS

DEFAULT_INTERVAL_MINUTES = 60


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice rendered as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _required_when_enabled(form: ScheduleForm, field: IntegerField) -> None:
    """Ahead of ``Optional``: an empty interval is fine only while the schedule is off."""
    if form.enabled.data and not (field.raw_data and field.raw_data[0].strip()):
        raise StopValidation(f"Enter how often to run, in minutes (at least {MIN_INTERVAL_MINUTES}).")


class ScheduleForm(Form):
    """One integration's schedule: off, or every N minutes."""

    enabled = BooleanField("On")
    interval = IntegerField(
        "Every (minutes)",
        validators=[_required_when_enabled, Optional()],
        default=DEFAULT_INTERVAL_MINUTES,
    )

    def validate_interval(self, field) -> None:
        """A schedule that is on runs at most every 15 minutes and at least weekly; off is not checked."""
        if not self.enabled.data or field.data is None:
            return  # off, or not a number (the field already says so)
        if not MIN_INTERVAL_MINUTES <= field.data <= MAX_INTERVAL_MINUTES:
            raise ValidationError(
                f"Run at most every {MIN_INTERVAL_MINUTES} minutes, and at least once a week "
                f"({MAX_INTERVAL_MINUTES} minutes)."
            )

    def minutes(self) -> int | None:
        """The interval when the schedule is on, else None (off)."""
        return self.interval.data if self.enabled.data else None


class ChannelForm(FlaskForm):
    """A channel's settings. Call :meth:`prepare` before validating or rendering it."""

    name = StringField("Channel name", validators=[DataRequired(), Length(max=120)])
    connection_id = SelectField("Amazon connection", coerce=int, validate_choice=False)
    marketplace_id = SelectField("Marketplace", validate_choice=False)
    fulfillment_channel = SelectField("Default fulfilment channel", validate_choice=False)
    sync_listings = FormField(ScheduleForm, "Sync Listings")
    get_orders = FormField(ScheduleForm, "Get Orders")
    sync_orders = FormField(ScheduleForm, "Sync Orders")
    orders_window_days = IntegerField(
        "Get Orders created within the last (days)",
        validators=[
            InputRequired("Enter a number of days from 1 to 30."),
            NumberRange(min=1, max=30, message="Enter a number of days from 1 to 30."),
        ],
        default=7,
    )
    order_statuses = MultiCheckboxField(
        "Order statuses to import",
        choices=[SelectChoice(status, order_status_label(status)) for status in ORDER_STATUSES],
        default=list(DEFAULT_ORDER_STATUSES),
    )
    acknowledge_orders = BooleanField("Acknowledge orders (send our order number to Amazon)")
    import_mode = RadioField(
        "When Import Listings finds a SKU that already exists",
        choices=[
            SelectChoice(
                ImportMode.CREATE_ONLY.value,
                f"{IMPORT_MODE_LABELS[ImportMode.CREATE_ONLY]}: link it, keep Shelfsync's data",
            ),
            SelectChoice(
                ImportMode.CREATE_AND_OVERWRITE.value,
                f"{IMPORT_MODE_LABELS[ImportMode.CREATE_AND_OVERWRITE]}: replace its data with Amazon's",
            ),
        ],
        default=ImportMode.CREATE_ONLY.value,
    )
    import_new_paused = BooleanField("Set New Listings to Paused")

    def __init__(self, *args, channel: Channel | None = None, **kwargs) -> None:
        self._channel = channel
        self.connection: Connection | None = None
        super().__init__(*args, **kwargs)

    def schedule_fields(self) -> list[tuple[RunKind, FormField]]:
        """The schedule sub-forms with their integration, in ``SCHEDULABLE_KINDS`` order."""
        return [(kind, self[kind.value]) for kind in SCHEDULABLE_KINDS]

    def prepare(self, connections: list[Connection]) -> None:
        """Fill the choices from the account's connections and the selected connection's region.

        The marketplace defaults to the connection's own; FBA is offered through the region's center.
        """
        self.connection_id.choices = [
            SelectChoice(c.id, f"{c.name} ({c.selling_partner_id})") for c in connections
        ]
        selected = next((c for c in connections if c.id == self.connection_id.data), None)
        if selected is None and self.connection_id.data is None and connections:
            selected = connections[0]
            self.connection_id.data = selected.id
        if selected is None:
            self.marketplace_id.choices = []
            self.fulfillment_channel.choices = []
            return
        self.marketplace_id.choices = [
            SelectChoice(m.id, f"{m.country_code} · {m.id}") for m in marketplaces_in(selected.region)
        ]
        if not self.marketplace_id.data:
            self.marketplace_id.data = selected.marketplace_id
        self.fulfillment_channel.choices = [
            SelectChoice(v, label) for v, label in fulfillment_choices(selected.region)
        ]

    def validate_name(self, field) -> None:
        """Channel names are unique within the account, so that runs and orders name them unambiguously."""
        if name_taken(field.data, self._channel.id if self._channel else None):
            raise ValidationError("Another channel already has this name.")

    def validate_connection_id(self, field) -> None:
        """Only one of the account's own connections."""
        self.connection = owned_connection(field.data)
        if self.connection is None:
            raise ValidationError("Choose one of your Amazon connections.")

    def validate_marketplace_id(self, field) -> None:
        """A known marketplace in the connection's region (a connection authorizes one region)."""
        if self.connection is None:
            return  # the connection's own error says what to fix first
        marketplace = MARKETPLACES.get(field.data or "")
        if marketplace is None:
            raise ValidationError("Choose a marketplace.")
        if marketplace.region != self.connection.region:
            raise ValidationError(
                f"{marketplace.country_code} is not in {REGION_NAMES[self.connection.region]}, "
                "the region of this connection."
            )
        twin = channel_on(self.connection.id, marketplace.id, self._channel.id if self._channel else None)
        if twin is not None:
            # Both would import the same orders and push prices to the same offers.
            raise ValidationError(
                f"The channel “{twin.name}” already sells on {marketplace.country_code} through this "
                "connection; edit that channel instead."
            )

    def validate_fulfillment_channel(self, field) -> None:
        """FBM, or the FBA center of the marketplace's region."""
        marketplace = MARKETPLACES.get(self.marketplace_id.data or "")
        if self.connection is None or marketplace is None:
            return
        error = fulfillment_error(field.data or "", marketplace)
        if error:
            raise ValidationError(error)

    def validate_order_statuses(self, field) -> None:
        """At least one status (the field refuses unknown ones): Get Orders with none imports nothing."""
        if not field.data:
            raise ValidationError("Choose at least one order status to import.")

    def settings(self) -> ChannelSettings:
        """The validated values."""
        return ChannelSettings(
            name=self.name.data,
            connection_id=self.connection_id.data,
            marketplace_id=self.marketplace_id.data,
            fulfillment_channel=self.fulfillment_channel.data,
            orders_window_days=self.orders_window_days.data,
            order_statuses=list(self.order_statuses.data),
            acknowledge_orders=self.acknowledge_orders.data,
            import_mode=self.import_mode.data,
            import_new_paused=self.import_new_paused.data,
            schedules={kind: sub.form.minutes() for kind, sub in self.schedule_fields()},
        )


def schedule_data(schedules: dict) -> dict[str, dict]:
    """Form data for the schedule sub-forms from the channel's Schedule rows (kind -> row)."""
    data = {}
    for kind in SCHEDULABLE_KINDS:
        row = schedules.get(kind.value)
        on = row is not None and row.interval_minutes is not None
        data[kind.value] = {
            "enabled": on,
            "interval": row.interval_minutes if on else DEFAULT_INTERVAL_MINUTES,
        }
    return data
