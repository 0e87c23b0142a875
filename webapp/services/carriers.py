"""Amazon's carrier codes and shipping methods, and the check Sync Orders runs before confirmShipment.

Where the facts come from:

- Carrier codes: the ``CarrierCode`` enumeration of Amazon's feed base schema ``amzn-base.xsd``
  (quoted in amzn/selling-partner-api-docs issue #712), which is the list Seller Central offers, plus
  codes Seller Central added later for newer carriers ("Amazon Shipping": amzn/selling-partner-api-models
  issue #5232; "DHL eCommerce", "Hermes", "Asendia", "Australia Post", "Correos", "Seur", "Purolator").
- Amazon compares the code exactly ("The CarrierCode value must match the options listed in Seller
  Central exactly", amzn/selling-partner-api-docs issue #772; "Purolator" vs "PUROLATOR", issue #2530);
  an unlisted carrier is sent as "Other" with its name in ``carrierName`` (ordersV0.json ``carrierName``).
- Shipping methods: the carriers' own service names, which is what Seller Central's ship-method options
  list and what Amazon compares ``shippingMethod`` with (ignoring case and repeated spaces). Methods are
  only checked for carriers listed in ``SHIPPING_METHODS``; any method goes for the others and "Other".

The check is ours: Amazon is only called once it passes, and a near miss ("UP Ground") comes back
with a suggestion ("UPS Ground") the seller can apply on the shipment. A method of a listed carrier that
is not in our list and near none of it is sent as typed: carriers add services, our list may lag, and
Amazon's own answer then decides (a refusal is stored on the shipment like any other).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

OTHER = "Other"

CARRIER_CODES: tuple[str, ...] = (
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
    OTHER,
)
"""Amazon's ``carrierCode`` values, exact spelling; "Other" needs ``carrierName``."""

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
"""The service names of the carriers whose methods are checked (carrier code → methods)."""

# How alike two names must be (difflib ratio of their letters and digits) to be offered as a suggestion.
SUGGESTION_CUTOFF = 0.75

CARRIER_HELP = (
    "Choose the carrier from Amazon's list on the shipment (Amazon compares the spelling exactly), or "
    "choose Other and type the carrier's name."
)
METHOD_HELP = (
    "Amazon only accepts this carrier's own service names as the shipping method. Edit the shipment and "
    "choose one of them; Sync Orders sends it again on its next run."
)


@dataclass(frozen=True)
class CarrierProblem:
    """Why a carrier or method would be refused: the message, what to do, and a near miss if any."""

    message: str
    help: str
    suggestion: str = ""

    @property
    def full_help(self) -> str:
        """The help with the suggestion, as the seller reads it."""
        return f"Did you mean “{self.suggestion}”? {self.help}" if self.suggestion else self.help


def _key(value: str) -> str:
    """Letters and digits only, case-folded: ``"UP  ground"`` and ``"up-Ground"`` compare equal."""
    return re.sub(r"[^0-9a-z]", "", value.casefold())


def _spaced(value: str) -> str:
    return " ".join(value.split()).casefold()


def _closest(value: str, choices: tuple[str, ...]) -> str:
    """The choice nearest to ``value``, or "" when none is near enough to be a typo."""
    keys = {_key(choice): choice for choice in choices}
    match = difflib.get_close_matches(_key(value), list(keys), n=1, cutoff=SUGGESTION_CUTOFF)
    return keys[match[0]] if match else ""


def canonical_carrier(code: str) -> str | None:
    """Amazon's spelling of a carrier code typed in another case or spacing (``"fedex"`` → ``"FedEx"``)."""
    wanted = _key(code)
    return next((c for c in CARRIER_CODES if _key(c) == wanted), None) if wanted else None


def canonical_method(carrier_code: str, method: str) -> str:
    """The listed spelling of ``method`` when it only differs in case or spacing; else ``method`` as is."""
    wanted = _spaced(method)
    known = SHIPPING_METHODS.get(carrier_code, ())
    return next((m for m in known if _spaced(m) == wanted), " ".join(method.split()))


def methods_for(carrier_code: str) -> tuple[str, ...]:
    """The known shipping methods of a carrier (empty: any method is accepted)."""
    return SHIPPING_METHODS.get(carrier_code, ())


def carrier_problem(carrier_code: str, carrier_name: str = "") -> CarrierProblem | None:
    """What is wrong with a carrier code (+ name for "Other"), or None when Amazon will accept it."""
    if carrier_code in CARRIER_CODES:
        if carrier_code == OTHER and not carrier_name.strip():
            return CarrierProblem(
                "The carrier is Other but no carrier name is given.",
                "Type the carrier's name on the shipment (Amazon requires it with Other).",
            )
        return None
    suggestion = canonical_carrier(carrier_code) or _closest(carrier_code, CARRIER_CODES[:-1])
    return CarrierProblem(f"“{carrier_code}” is not one of Amazon's carrier codes.", CARRIER_HELP, suggestion)


def method_problem(carrier_code: str, shipping_method: str) -> CarrierProblem | None:
    """The near miss of a shipping method for the carrier ("UP Ground" for "UPS Ground"), or None: a
    listed method, any method of an unlisted carrier, and a method near none of ours (Amazon decides)."""
    known = SHIPPING_METHODS.get(carrier_code)
    if not known or not shipping_method.strip():
        return None  # the method is optional for Amazon
    if _spaced(shipping_method) in {_spaced(m) for m in known}:
        return None
    suggestion = _closest(shipping_method, known)
    if not suggestion:
        return None
    return CarrierProblem(
        f"“{shipping_method}” is not a shipping method of {carrier_code}.",
        METHOD_HELP + " Known methods: " + ", ".join(known) + ".",
        suggestion,
    )


def check(carrier_code: str, carrier_name: str, shipping_method: str) -> CarrierProblem | None:
    """The first problem of a shipment's carrier and method (carrier first), or None."""
    return carrier_problem(carrier_code, carrier_name) or method_problem(carrier_code, shipping_method)
