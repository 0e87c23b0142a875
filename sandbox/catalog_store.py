"""Catalog lookups shared by the Catalog Items API and the listing rules."""

from __future__ import annotations

import sqlite3

from sandbox.db import register_schema

register_schema("CREATE INDEX IF NOT EXISTS catalog_items_brand ON catalog_items (brand, restricted)")


def get_item(conn: sqlite3.Connection, asin: str) -> sqlite3.Row | None:
    """One catalog item by ASIN."""
    return conn.execute("SELECT * FROM catalog_items WHERE asin = ?", (asin,)).fetchone()


def find_by_identifier(conn: sqlite3.Connection, identifier_type: str, value: str) -> sqlite3.Row | None:
    """The catalog item with this ASIN/UPC/EAN/GTIN (GTINs match UPCs and EANs zero-padded to 14)."""
    kind = identifier_type.upper()
    if kind == "ASIN":
        return get_item(conn, value)
    if kind == "UPC":
        return conn.execute("SELECT * FROM catalog_items WHERE upc = ?", (value,)).fetchone()
    if kind in {"EAN", "JAN"}:
        return conn.execute("SELECT * FROM catalog_items WHERE ean = ?", (value,)).fetchone()
    if kind == "GTIN":
        gtin = value.zfill(14)
        return conn.execute(
            "SELECT * FROM catalog_items WHERE upc = ? OR ean = ? LIMIT 1", (gtin[2:], gtin[1:])
        ).fetchone()
    return None


def brand_is_restricted(conn: sqlite3.Connection, brand: str) -> bool:
    """True if the brand is gated (approval needed to list it)."""
    return (
        conn.execute(
            "SELECT 1 FROM catalog_items WHERE brand = ? AND restricted = 1 LIMIT 1", (brand,)
        ).fetchone()
        is not None
    )


def seller_approved(conn: sqlite3.Connection, seller_id: str, brand: str) -> bool:
    """True if the seller may list a gated brand."""
    return (
        conn.execute(
            "SELECT 1 FROM brand_approvals WHERE seller_id = ? AND brand = ?", (seller_id, brand)
        ).fetchone()
        is not None
    )
