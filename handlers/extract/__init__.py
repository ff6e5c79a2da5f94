"""Reading owners' words into facts: product, address, phone, urgency, time.

The parts live in their own modules (products, address, urgency, when; phones in handlers.text);
reading puts them together. The names callers use are importable from here.
"""
from __future__ import annotations

from handlers.extract.address import find_address, find_community
from handlers.extract.products import PRODUCT_THRESHOLD, CatalogItem, ProductMatch, match_products
from handlers.extract.reading import Extracted, extract, is_affirmative, is_negative, taken_back
from handlers.extract.urgency import hazard, is_urgent
from handlers.extract.when import Window, is_past, parse_when
from handlers.text import find_phone, normalize

__all__ = ["PRODUCT_THRESHOLD", "CatalogItem", "Extracted", "ProductMatch", "Window", "extract", "find_address",
           "find_community", "find_phone", "hazard", "is_affirmative", "is_negative", "is_past", "is_urgent",
           "match_products", "normalize", "parse_when", "taken_back"]
