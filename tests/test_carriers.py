"""The carrier and shipping-method check Sync Orders runs before confirmShipment: near misses are held
with a suggestion, Amazon's spellings pass in any case or spacing, and what we cannot judge goes to
Amazon."""

from __future__ import annotations

from webapp.services.carriers import canonical_carrier, canonical_method, check


def test_a_near_miss_of_a_method_is_held_with_the_right_spelling():
    problem = check("UPS", "", "UP Ground")

    assert problem is not None and problem.suggestion == "UPS Ground"
    assert problem.full_help.startswith("Did you mean “UPS Ground”?")


def test_a_listed_method_passes_in_any_case_or_spacing():
    assert check("UPS", "", "ups   GROUND") is None
    assert canonical_method("UPS", "ups   GROUND") == "UPS Ground"


def test_a_method_near_none_of_ours_is_left_for_amazon_to_judge():
    assert check("UPS", "", "Worldwide Freight Pallet") is None
    assert check("FedEx", "", "FedEx Custom Critical") is None


def test_any_method_goes_for_a_carrier_without_a_method_list_and_for_other():
    assert check("GLS", "", "Whatever Service") is None
    assert check("Other", "Acme Couriers", "Next morning") is None


def test_an_unknown_carrier_code_is_held_with_amazons_spelling():
    problem = check("FedExx", "", "")

    assert problem is not None and problem.suggestion == "FedEx"
    assert canonical_carrier("fedex") == "FedEx"


def test_other_needs_the_carriers_name():
    problem = check("Other", "  ", "")

    assert problem is not None and "no carrier name" in problem.message
