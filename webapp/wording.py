"""Wording helpers for messages the seller reads (run notifications, summaries)."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the right number: ``1 row``, ``0 rows``, ``3 entries`` (with ``plural``)."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
