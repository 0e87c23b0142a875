"""Deterministic seed and the sandbox CLI commands."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from sandbox import create_app
from sandbox.cli import cli
from sandbox.seed import DEMO_SELLER_ID, seed_world

TABLES = ("marketplaces", "sellers", "participations", "catalog_items", "listings")
NOW = 1_780_000_000.0


def _dump(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall() for t in TABLES}
    finally:
        conn.close()


def _seed(path: Path, seed: int) -> dict:
    app = create_app({"SANDBOX_DB": str(path)})
    return seed_world(app.extensions["sandbox"].store, NOW, listings=300, sellers=4, seed=seed)


def test_same_seed_gives_same_world(tmp_path: Path) -> None:
    _seed(tmp_path / "a.db", 7)
    _seed(tmp_path / "b.db", 7)
    _seed(tmp_path / "c.db", 8)
    first, second, other = _dump(tmp_path / "a.db"), _dump(tmp_path / "b.db"), _dump(tmp_path / "c.db")
    assert first == second
    assert first["listings"] != other["listings"]
    assert len(first["marketplaces"]) == 12


def test_seed_contents(tmp_path: Path) -> None:
    summary = _seed(tmp_path / "a.db", 1)
    assert summary["counts"]["sellers"] == 4
    conn = sqlite3.connect(tmp_path / "a.db")
    demo = conn.execute("SELECT name, region FROM sellers WHERE seller_id = ?", (DEMO_SELLER_ID,)).fetchone()
    assert demo == ("Demo Seller (US)", "na")
    channels = dict(
        conn.execute(
            "SELECT fulfillment_channel, COUNT(*) FROM listings WHERE seller_id = ? GROUP BY 1",
            (DEMO_SELLER_ID,),
        ).fetchall()
    )
    assert set(channels) == {"DEFAULT", "AMAZON_NA"}
    assert conn.execute("SELECT COUNT(*) FROM listings WHERE quantity = 999999999").fetchone()[0] > 0
    assert conn.execute("SELECT COUNT(*) FROM listings WHERE price IS NULL").fetchone()[0] > 0
    assert conn.execute("SELECT COUNT(*) FROM listings WHERE status = 'INACTIVE'").fetchone()[0] > 0
    assert conn.execute("SELECT COUNT(*) FROM catalog_items WHERE restricted = 1").fetchone()[0] > 0


def test_cli_seed_revoke_advance_and_delete(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    result = runner.invoke(cli, ["seed", "--db", db, "--listings", "50", "--sellers", "2", "--seed", "3"])
    assert result.exit_code == 0, result.output
    # demo seller: 50 in the US + the same 50 SKUs in Canada; EU seller: a tenth (5).
    assert json.loads(result.output)["counts"]["listings"] == 105
    store = create_app({"SANDBOX_DB": db}).extensions["sandbox"].store
    store.execute("INSERT INTO refresh_tokens VALUES ('Atzr|t', ?, 'client', 0, 0)", (DEMO_SELLER_ID,))

    assert runner.invoke(cli, ["revoke", "--db", db, DEMO_SELLER_ID]).exit_code == 0
    assert store.one("SELECT revoked FROM refresh_tokens WHERE token = 'Atzr|t'")["revoked"] == 1

    before = create_app({"SANDBOX_DB": db}).extensions["sandbox"].clock.now()
    assert runner.invoke(cli, ["advance-clock", "--db", db, "--days", "2"]).exit_code == 0
    after = create_app({"SANDBOX_DB": db}).extensions["sandbox"].clock.now()
    assert 2 * 86400 <= after - before < 2 * 86400 + 60

    result = runner.invoke(cli, ["delete-listing", "--db", db, DEMO_SELLER_ID, "DEMO-000001"])
    assert result.exit_code == 0 and "2 listing row(s)" in result.output
    assert runner.invoke(cli, ["delete-listing", "--db", db, DEMO_SELLER_ID, "DEMO-000001"]).exit_code != 0
