"""Signing up through the real registration page, for the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def submit_registration(page: Page, base: str) -> None:
    """Open the registration page and create the Acme Goods account (the seller is then signed in)."""
    page.goto(f"{base}/auth/register")
    page.get_by_label("Business name").fill("Acme Goods")
    page.get_by_label("Email").fill("seller@example.com")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Repeat password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()


def register(page: Page, base: str) -> None:
    """Create the Acme Goods account and wait for its dashboard."""
    submit_registration(page, base)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
