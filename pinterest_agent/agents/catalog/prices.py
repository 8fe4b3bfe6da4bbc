"""Prices as Google Merchant writes them: ``<amount> <ISO 4217 code>`` (``15.00 USD``).

The amount is a positive decimal with a point as its decimal separator (no exponent, sign,
thousands separator, ``nan`` or ``inf``); the currency is one that some territory uses as legal
tender today (Babel's CLDR data: ``DEM`` or ``HRK`` are refused). The code may also come first
(``USD 15.00``). A price is stored normalised: the amount with at least the currency's minor
digits (``15 USD`` -> ``15.00 USD``, ``1500 JPY`` stays), then the code. ``sale_price``, when
there is one, is in the same currency and below ``price``.

A Shopify ``products.json`` carries no currency: its variant's price is checked the same way
and kept as the amount alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from babel.core import get_global
from babel.numbers import get_currency_precision, get_territory_currencies

__all__ = ["MAX_AMOUNT", "Price", "PriceError", "check_sale", "parse_price"]

MAX_AMOUNT = Decimal(10) ** 12
_AMOUNT = r"(?P<amount>\d{1,13}(?:\.\d{1,6})?)"
_CODE = r"(?P<code>[A-Za-z]{3})"
_FORMS = (re.compile(rf"{_AMOUNT}\s*{_CODE}"), re.compile(rf"{_CODE}\s*{_AMOUNT}"))
_AMOUNT_ONLY = re.compile(_AMOUNT)
_EXAMPLE = "write it as a positive amount and its ISO 4217 currency code, like '15.00 USD'"


class PriceError(ValueError):
    """A price that is not usable; the message says how to write it."""


@cache
def _currencies() -> frozenset[str]:
    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, tender=True))
    return frozenset(codes)


@dataclass(frozen=True, slots=True)
class Price:
    """A checked price: a positive finite amount and a current ISO 4217 code (or none)."""

    amount: Decimal
    currency: str | None

    def __str__(self) -> str:
        if self.currency is None:
            return str(self.amount)
        digits = get_currency_precision(self.currency)
        exponent = self.amount.as_tuple().exponent
        amount = self.amount
        if isinstance(exponent, int) and -exponent < digits:
            amount = amount.quantize(Decimal(1).scaleb(-digits))
        return f"{amount} {self.currency}"


def parse_price(text: str, *, field: str = "price", currency_required: bool = True) -> Price:
    """The price ``text`` holds, or :class:`PriceError` saying what is wrong with it."""
    value = " ".join(text.split())
    shown = value[:40]
    found = next((m for form in _FORMS if (m := form.fullmatch(value))), None)
    if found is None and not currency_required:
        found = _AMOUNT_ONLY.fullmatch(value)
    if found is None:
        if re.search(r"\d,\d", value):
            raise PriceError(f"{field} {shown!r} is not a price: use a point as the decimal "
                             f"separator and no thousands separator; {_EXAMPLE}")
        raise PriceError(f"{field} {shown!r} is not a price: {_EXAMPLE}")
    try:
        amount = Decimal(found.group("amount"))
    except InvalidOperation as exc:  # the pattern admits only digits; kept for the type checker
        raise PriceError(f"{field} {shown!r} is not a price: {_EXAMPLE}") from exc
    if amount <= 0 or amount >= MAX_AMOUNT:
        raise PriceError(f"{field} {shown!r} must be above zero and below "
                         f"{MAX_AMOUNT:,.0f}; {_EXAMPLE}")
    code = found.groupdict().get("code")
    if code is None:
        return Price(amount, None)
    if code.upper() not in _currencies():
        raise PriceError(f"{field} {shown!r}: {code!r} is not a current ISO 4217 currency "
                         "code (USD, EUR, GBP, ...)")
    return Price(amount, code.upper())


def check_sale(price: Price, sale: Price) -> str | None:
    """Why ``sale`` cannot be the sale price of ``price``, or ``None`` when it can."""
    if sale.currency != price.currency:
        return (f"sale_price {sale} is not in the currency of price {price}: give both in the "
                "same currency")
    if sale.amount >= price.amount:
        return f"sale_price {sale} is not below price {price}: a sale price is the lower one"
    return None
