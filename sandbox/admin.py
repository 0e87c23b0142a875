"""`/_sandbox/` JSON API (no auth; the sandbox is local only): controls for tests and demos."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from markupsafe import escape

from sandbox import control, faults, roles
from sandbox.clock import iso
from sandbox.state import current

bp = Blueprint("sandbox_admin", __name__, url_prefix="/_sandbox")

_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None:
        return {}
    if not isinstance(data, dict):
        abort(400, "expected a JSON object")
    return data


@bp.get("/health")
def health():
    """Liveness and the current Amazon time."""
    now = current().clock.now()
    return jsonify({"ok": True, "amazonTime": iso(now), "amazonTimestamp": now})


@bp.get("/clock")
def clock():
    """The current Amazon time and time scale."""
    sandbox = current()
    now = sandbox.clock.now()
    return jsonify({"amazonTime": iso(now), "amazonTimestamp": now, "timeScale": sandbox.clock.scale})


@bp.post("/clock/advance")
def advance_clock():
    """Advance Amazon time by `{"days"|"hours"|"minutes"|"seconds": N}` (summed)."""
    data = _json()
    seconds = sum(float(data.get(unit, 0)) * factor for unit, factor in _UNIT_SECONDS.items())
    if seconds < 0:
        abort(400, "the clock only moves forward")
    now = current().clock.advance(seconds)
    return jsonify({"amazonTime": iso(now), "amazonTimestamp": now, "advancedSeconds": seconds})


@bp.get("/sellers")
def sellers():
    """The seeded sellers with their marketplaces."""
    store = current().store
    result = []
    for row in store.all("SELECT * FROM sellers ORDER BY position"):
        mps = [
            r["marketplace_id"]
            for r in store.all(
                "SELECT marketplace_id FROM participations WHERE seller_id = ? ORDER BY marketplace_id",
                (row["seller_id"],),
            )
        ]
        result.append(
            {
                "sellerId": row["seller_id"],
                "name": row["name"],
                "region": row["region"],
                "marketplaceIds": mps,
            }
        )
    return jsonify({"sellers": result})


@bp.post("/sellers/<seller_id>/revoke")
def revoke(seller_id: str):
    """Revoke the seller's authorization: refresh tokens then get `invalid_grant`."""
    return jsonify(
        {"sellerId": seller_id, "revokedRefreshTokens": control.revoke_seller(current().store, seller_id)}
    )


@bp.put("/sellers/<seller_id>/roles")
def set_roles(seller_id: str):
    """Take roles away from, or give them back to, the seller's authorization:
    `{"deny": ["Direct-to-Consumer Shipping (Restricted)"], "grant": [...]}`; answers the denied roles."""
    data = _json()
    store = current().store
    try:
        for role in data.get("deny", []):
            roles.deny_role(store, seller_id, role)
    except ValueError as exc:
        abort(400, str(exc))
    for role in data.get("grant", []):
        roles.grant_role(store, seller_id, role)
    return jsonify({"sellerId": seller_id, "deniedRoles": sorted(roles.denied_roles(store, seller_id))})


@bp.delete("/listings/<seller_id>/<path:sku>")
def delete_listing(seller_id: str, sku: str):
    """Delete a listing on Amazon's side (optional `?marketplaceId=`)."""
    deleted = control.delete_listing(current().store, seller_id, sku, request.args.get("marketplaceId"))
    if not deleted:
        abort(404, "no such listing")
    return jsonify({"deleted": deleted})


@bp.get("/calls")
def calls():
    """The call log and counts; filters `seller_id`, `operation`, `since` (Amazon timestamp), `limit`."""
    since = request.args.get("since", type=float)
    current().calls.flush()
    return jsonify(
        control.call_log(
            current().store,
            seller_id=request.args.get("seller_id"),
            operation=request.args.get("operation"),
            since=since,
            limit=request.args.get("limit", 1000, type=int),
        )
    )


@bp.delete("/calls")
def clear_calls():
    """Clear the call log."""
    current().calls.flush()
    control.clear_call_log(current().store)
    return jsonify({"ok": True})


@bp.get("/faults")
def list_faults():
    """All fault settings."""
    return jsonify({"faults": faults.list_faults(current().store)})


@bp.put("/faults/<operation>")
def set_fault(operation: str):
    """Set an operation's faults, e.g. `{"p429": 0.5, "latency_ms": 200}`; `*` applies to all."""
    try:
        return jsonify(faults.set_fault(current().store, operation, _json()))
    except (TypeError, ValueError) as exc:
        abort(400, str(exc))


@bp.delete("/faults")
def clear_all_faults():
    """Remove every fault."""
    faults.clear_faults(current().store)
    return jsonify({"ok": True})


@bp.delete("/faults/<operation>")
def clear_fault(operation: str):
    """Remove one operation's faults."""
    faults.clear_faults(current().store, operation)
    return jsonify({"ok": True})


@bp.post("/rate-limits/reset")
def reset_rate_limits():
    """Refill every token bucket."""
    current().buckets.reset()
    return jsonify({"ok": True})


@bp.post("/seed")
def seed():
    """Re-seed the world: `{"listings", "orders", "sellers", "seed"}` (all optional)."""
    from sandbox.seed import seed_world

    sandbox = current()
    summary = seed_world(sandbox.store, sandbox.clock.now(), **_json())
    sandbox.buckets.reset()
    return jsonify(summary)


@bp.errorhandler(400)
@bp.errorhandler(404)
def _json_error(exc):
    return jsonify({"error": exc.description}), exc.code


@bp.get("/images/<asin>/<variant>.svg")
def image(asin: str, variant: str):
    """A placeholder product image (catalog image links point here)."""
    row = current().store.one("SELECT title FROM catalog_items WHERE asin = ?", (asin,))
    if row is None:
        abort(404, "no such ASIN")
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="500" height="500"><rect width="500" height="500" '
        f'fill="#eef"/><text x="20" y="240" font-size="22">{escape(row["title"])}</text>'
        f'<text x="20" y="280" font-size="18">{escape(asin)} {escape(variant)}</text></svg>'
    )
    return Response(svg, mimetype="image/svg+xml")
