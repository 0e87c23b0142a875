"""Views: register, log in, log out."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.auth import bp, throttle
from webapp.auth.forms import LoginForm, RegisterForm
from webapp.extensions import db
from webapp.models import Account, User


def _safe_next(target: str | None) -> str:
    """Only follow same-site relative ``next`` targets (no open redirect)."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.dashboard")


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an account and its first user, then sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        account = Account(name=form.account_name.data.strip())
        user = User(account=account, email=form.email.data.strip().lower())
        user.set_password(form.password.data)
        db.session.add_all([account, user])
        db.session.commit()
        login_user(user)
        flash("Welcome to Shelfsync. Start by connecting Amazon or adding a source.", "success")
        return redirect(url_for("main.dashboard"))
    return render_template("auth/register.html", form=form), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in, with failed attempts throttled per email and IP."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        ip = request.remote_addr or "-"
        wait = throttle.retry_after(email, ip)
        if wait:
            minutes = max(1, round(wait / 60))
            form.email.errors.append(
                f"Too many failed log-ins. Try again in about {minutes} minute{'s' if minutes != 1 else ''}."
            )
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None or not user.check_password(form.password.data):
            throttle.record_failure(email, ip)
            form.password.errors.append("Email or password is incorrect.")
            return render_template("auth/login.html", form=form), 422
        throttle.reset(email, ip)
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    """Sign out (POST, so a link on another site cannot log the user out) on every device: the session
    cookie is signed, not stored, so a copy of it would stay valid unless the user's sessions end."""
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
