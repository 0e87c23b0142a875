"""Forms for registering and signing in."""

from __future__ import annotations

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from webapp.extensions import db
from webapp.models import User


class RegisterForm(FlaskForm):
    """A new account with its first user."""

    account_name = StringField("Business name", validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField("Repeat password", validators=[DataRequired(), EqualTo("password")])
    submit = SubmitField("Create account")

    def validate_email(self, field) -> None:
        """Refuse an email that already has a user."""
        taken = db.session.scalar(sa.select(User.id).where(User.email == field.data.strip().lower()))
        if taken:
            raise ValidationError("An account with this email already exists. Log in instead.")


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField("Password", validators=[DataRequired()])
    submit = SubmitField("Log in")
