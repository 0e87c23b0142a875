"""Amazon carrier codes and known shipping methods, for confirmShipment validation.

ordersV0.json declares `carrierCode` as a free string pointing at Amazon's carrier list, so the list
comes from the CarrierCode enumeration of Amazon's feed schema (amzn-base.xsd, the list Seller Central
offers) plus newer codes such as "Amazon Shipping". Shipping methods are only checked for carriers
whose service names are well known; any method is accepted for the others and for "Other".
"""

from __future__ import annotations

CARRIER_CODES = (
    "USPS",
    "UPS",
    "UPSMI",
    "FedEx",
    "DHL",
    "DHL eCommerce",
    "Fastway",
    "GLS",
    "GO!",
    "Hermes Logistik Gruppe",
    "Hermes",
    "Royal Mail",
    "Parcelforce",
    "City Link",
    "TNT",
    "Target",
    "SagawaExpress",
    "NipponExpress",
    "YamatoTransport",
    "DHL Global Mail",
    "UPS Mail Innovations",
    "FedEx SmartPost",
    "OSM",
    "OnTrac",
    "Streamlite",
    "Newgistics",
    "Canada Post",
    "Blue Package",
    "Chronopost",
    "Deutsche Post",
    "DPD",
    "La Poste",
    "Parcelnet",
    "Poste Italiane",
    "SDA",
    "Smartmail",
    "FEDEX_JP",
    "JP_EXPRESS",
    "NITTSU",
    "SAGAWA",
    "YAMATO",
    "BlueDart",
    "AFL/Fedex",
    "Aramex",
    "India Post",
    "Professional",
    "DTDC",
    "Overnite Express",
    "First Flight",
    "Delhivery",
    "Lasership",
    "Yodel",
    "Amazon Shipping",
    "Asendia",
    "Australia Post",
    "Correos",
    "Seur",
    "Purolator",
    "Other",
)
"""Accepted `carrierCode` values (exact spelling; "Other" needs `carrierName`)."""

SHIPPING_METHODS: dict[str, tuple[str, ...]] = {
    "USPS": (
        "Priority Mail",
        "Priority Mail Express",
        "First Class",
        "First-Class Mail",
        "First-Class Package Service",
        "Ground Advantage",
        "USPS Ground Advantage",
        "Parcel Select",
        "Parcel Select Ground",
        "Media Mail",
        "Library Mail",
        "Priority Mail International",
        "Priority Mail Express International",
        "First-Class Package International Service",
    ),
    "UPS": (
        "UPS Ground",
        "UPS Ground Saver",
        "UPS 3 Day Select",
        "UPS 2nd Day Air",
        "UPS 2nd Day Air A.M.",
        "UPS Next Day Air",
        "UPS Next Day Air Saver",
        "UPS Next Day Air Early",
        "UPS SurePost",
        "UPS Standard",
        "UPS Worldwide Express",
        "UPS Worldwide Expedited",
        "UPS Worldwide Saver",
    ),
    "FedEx": (
        "FedEx Ground",
        "FedEx Home Delivery",
        "FedEx Ground Economy",
        "FedEx SmartPost",
        "FedEx Express Saver",
        "FedEx 2Day",
        "FedEx 2Day A.M.",
        "FedEx Standard Overnight",
        "FedEx Priority Overnight",
        "FedEx First Overnight",
        "FedEx International Economy",
        "FedEx International Priority",
    ),
    "DHL": (
        "DHL Express Worldwide",
        "DHL Express 9:00",
        "DHL Express 12:00",
        "DHL Economy Select",
        "DHL Paket",
        "DHL Parcel",
        "DHL Europaket",
    ),
    "OnTrac": ("OnTrac Ground", "Sunrise", "Sunrise Gold"),
    "Amazon Shipping": ("Amazon Shipping Ground", "Amazon Shipping Standard", "Amazon Shipping One-Day"),
    "Royal Mail": (
        "Royal Mail Tracked 24",
        "Royal Mail Tracked 48",
        "Royal Mail 1st Class",
        "Royal Mail 2nd Class",
        "Special Delivery Guaranteed",
    ),
}
"""Known service names per carrier code; compared ignoring case and repeated spaces."""


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def carrier_problem(carrier_code: str, carrier_name: str | None) -> str | None:
    """Why `carrierCode` (+ `carrierName`) is unacceptable, or None if it is fine."""
    if carrier_code in CARRIER_CODES:
        if carrier_code == "Other" and not (carrier_name or "").strip():
            return "carrierName is required when carrierCode is 'Other'."
        return None
    close = [code for code in CARRIER_CODES if _norm(code) == _norm(carrier_code)]
    hint = (
        f" Did you mean '{close[0]}'?"
        if close
        else " Use a code from Amazon's carrier list, or 'Other' with a carrierName."
    )
    return f"Invalid carrierCode '{carrier_code}'.{hint}"


def shipping_method_problem(carrier_code: str, shipping_method: str | None) -> str | None:
    """Why `shippingMethod` does not fit the carrier, or None (unknown carriers accept any method)."""
    if shipping_method is None:
        return None
    known = SHIPPING_METHODS.get(carrier_code)
    if known is None:
        return None if shipping_method.strip() else "shippingMethod must not be empty."
    if _norm(shipping_method) in {_norm(method) for method in known}:
        return None
    return (
        f"Invalid shippingMethod '{shipping_method}' for carrierCode '{carrier_code}'. "
        f"Known methods: {', '.join(known)}."
    )
