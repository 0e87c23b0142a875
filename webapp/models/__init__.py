"""The database models, one module per domain area, re-exported here."""

from __future__ import annotations

from webapp.models.account import Account, User
from webapp.models.channel import Channel, ImportMode
from webapp.models.connection import Connection, ConnectionStatus
from webapp.models.listing import (
    FeedSubmission,
    FulfillmentChannel,
    Listing,
    ListingVariant,
    VariantHistory,
    VariantStatus,
)

# Registers the search index's DDL on listing_variants (created with it by create_all).
from webapp.models.listing_search import SEARCH_OBJECTS
from webapp.models.mapping import MappingMode, MappingRule, MappingTemplate, TemplatePurpose
from webapp.models.order import (
    AttentionCode,
    FulfilledBy,
    Order,
    OrderCursor,
    OrderItem,
    OrderStatus,
    OrderSyncState,
    RoutingState,
    Shipment,
    ShipmentItem,
    ShipmentSyncState,
    ShippingMapping,
)
from webapp.models.run import IntegrationRun, Notification, NotificationLevel, RunKind, RunStatus
from webapp.models.schedule import Schedule
from webapp.models.source import Source, SourceItem, SourceUpload

__all__ = [
    "AttentionCode",
    "FulfilledBy",
    "Order",
    "OrderCursor",
    "OrderItem",
    "OrderStatus",
    "OrderSyncState",
    "RoutingState",
    "Shipment",
    "ShipmentItem",
    "ShipmentSyncState",
    "ShippingMapping",
    "FeedSubmission",
    "FulfillmentChannel",
    "Listing",
    "SEARCH_OBJECTS",
    "ListingVariant",
    "MappingMode",
    "MappingRule",
    "MappingTemplate",
    "TemplatePurpose",
    "VariantHistory",
    "VariantStatus",
    "Account",
    "Channel",
    "Connection",
    "ConnectionStatus",
    "ImportMode",
    "IntegrationRun",
    "Notification",
    "NotificationLevel",
    "RunKind",
    "RunStatus",
    "Schedule",
    "Source",
    "SourceItem",
    "SourceUpload",
    "User",
]
