"""Exact conversions between integer cents and decimal USD text.

Money is integer cents everywhere it is computed or kept; it becomes text only when
a writer puts it in a file, and text becomes cents again only when a reader loads it.
Both directions are exact at any size (no floating point on the way).
"""

from __future__ import annotations

import decimal
import json


def cents_to_text(cents: int) -> str:
    """Write cents as decimal USD with two decimals.

    >>> cents_to_text(123456)
    '1234.56'
    >>> cents_to_text(5)
    '0.05'
    >>> cents_to_text(10**17 + 1)
    '1000000000000000.01'
    """
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def text_to_cents(text: object) -> int:
    """Read decimal USD text (as :func:`cents_to_text` writes it) back into cents.

    >>> text_to_cents("1234.56")
    123456
    >>> text_to_cents("7")
    700
    >>> text_to_cents("-0.5")
    -50

    Raises:
        ValueError: If the text is not a decimal number with at most two decimals.
    """
    raw = str(text).strip()
    sign = -1 if raw.startswith("-") else 1
    whole, _, frac = raw.lstrip("+-").partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 2:
        raise ValueError(f"not an amount in USD with at most two decimals: {text!r}")
    return sign * (int(whole) * 100 + int((frac + "00")[:2]))


def manifest_money_cents(text: str) -> dict[str, object]:
    """Read the ``money`` summary of a run's ``manifest.json`` text exactly, in cents.

    The writer puts amounts there as JSON numbers with two decimals (exact decimal
    text); plain ``json.loads`` would turn them into floats, which lose cents above
    about USD 10^13. Nested mappings (``leaked_by_hop_usd``) are read the same way.

    >>> manifest_money_cents('{"money": {"disbursed_usd": 10000000000000.01, "by": {"a": 0.5}}}')
    {'disbursed_usd': 1000000000000001, 'by': {'a': 50}}

    Raises:
        ValueError: If an amount is not a number with at most two decimals.
    """
    money = json.loads(text, parse_float=decimal.Decimal, parse_int=decimal.Decimal)["money"]
    return _cents_tree(money)


def _cents_tree(value: object) -> object:
    if isinstance(value, dict):
        return {k: _cents_tree(v) for k, v in value.items()}
    if isinstance(value, decimal.Decimal):
        return text_to_cents(format(value, "f"))
    raise ValueError(f"not an amount in USD: {value!r}")
