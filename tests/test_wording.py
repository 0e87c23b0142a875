"""Counts in messages read in the right number ("1 row read", not "1 rows read")."""

from __future__ import annotations

from webapp.wording import counted


def test_one_is_singular_and_every_other_count_plural():
    assert counted(1, "row") == "1 row"
    assert counted(0, "row") == "0 rows"
    assert counted(2, "error") == "2 errors"
    assert counted(3, "entry", "entries") == "3 entries"
