"""What the orders pages call Amazon's statuses and our routing and sync states."""

from __future__ import annotations

from webapp.models import OrderStatus, OrderSyncState, RoutingState

STATUS_LABELS = {status.value: status.value.replace("_", " ").capitalize() for status in OrderStatus}

ROUTING_LABELS = {
    RoutingState.PENDING.value: "Not routed yet",
    RoutingState.ROUTED.value: "Routed",
    RoutingState.NEEDS_ATTENTION.value: "Needs attention",
    RoutingState.NOT_APPLICABLE.value: "Not routed (FBA or closed)",
}

SYNC_LABELS = {
    OrderSyncState.NOTHING_TO_SYNC.value: "No shipment yet",
    OrderSyncState.PENDING.value: "Waiting for Sync Orders",
    OrderSyncState.SYNCED.value: "Sent to Amazon",
    OrderSyncState.REJECTED.value: "Rejected by Amazon",
    OrderSyncState.NOT_APPLICABLE.value: "Amazon ships it (FBA)",
}

# The CSS class of each state's badge (the run page's status colours; "pending" is both a routing
# and a sync state, with the same colour).
STATE_CLASSES = {
    RoutingState.ROUTED.value: "status-succeeded",
    RoutingState.NEEDS_ATTENTION.value: "status-failed",
    RoutingState.PENDING.value: "status-queued",
    OrderSyncState.SYNCED.value: "status-succeeded",
    OrderSyncState.REJECTED.value: "status-failed",
}
