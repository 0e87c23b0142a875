"""Forms of the runs pages: history filters, log filter, the diagnostic button, CSRF-only buttons."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from webapp.models import NotificationLevel, RunKind, RunStatus


def _choices(blank: str, options: list[tuple[str, str]]) -> list[SelectChoice]:
    """A "no filter" choice (empty value) followed by ``options`` as (value, label)."""
    return [SelectChoice("", blank)] + [SelectChoice(value, label) for value, label in options]


class RunFilterForm(FlaskForm):
    """Filters of the run history (a GET form: built with ``meta={"csrf": False}``)."""

    kind = SelectField(
        "Integration", choices=_choices("All integrations", [(k.value, k.label) for k in RunKind]), default=""
    )
    status = SelectField(
        "Status",
        choices=_choices("Any status", [(s.value, s.value.capitalize()) for s in RunStatus]),
        default="",
    )

    def filters(self) -> dict[str, str]:
        """The valid, non-empty filters (an unknown value in the URL is ignored, not an error page)."""
        self.validate()
        return {name: field.data for name, field in self._fields.items() if field.data and not field.errors}


class LogFilterForm(FlaskForm):
    """Level filter of a run's Recent Notifications (GET, no CSRF)."""

    level = SelectField(
        "Level",
        choices=_choices("All", [(lv.value, lv.value.capitalize()) for lv in NotificationLevel]),
        default="",
    )

    def selected_level(self) -> str | None:
        """The chosen level, or None for all (and for an unknown value)."""
        self.validate()
        if self.level.errors:
            return None
        return self.level.data or None


class DiagnosticForm(FlaskForm):
    """Start a diagnostic run; the options simulate slow, failing or noisy integrations."""

    steps = IntegerField("Steps", validators=[Optional(), NumberRange(min=1, max=1000)], default=5)
    delay = DecimalField(
        "Seconds per step", validators=[Optional(), NumberRange(min=0, max=10)], default=0.5, places=None
    )
    fail_at = IntegerField("Fail at step", validators=[Optional(), NumberRange(min=1, max=1000)])
    warn = BooleanField("Add a warning")
    error = BooleanField("Add an error")
    submit = SubmitField("Run diagnostic")

    def params(self) -> dict:
        """The job parameters from the fields filled in (the job has defaults for the rest)."""
        params: dict = {}
        if self.steps.data is not None:
            params["steps"] = self.steps.data
        if self.delay.data is not None:
            params["delay"] = float(self.delay.data)
        if self.fail_at.data is not None:
            params["fail_at"] = self.fail_at.data
        if self.warn.data:
            params["warn"] = True
        if self.error.data:
            params["error"] = True
        return params


class ConfirmForm(FlaskForm):
    """A button that only needs a CSRF token (cancel)."""
