"""Money is exact: :class:`decimal.Decimal` yuan, quantized to the fen (0.01). Never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0")


def yuan(value: Decimal | int | str) -> Decimal:
    """Convert to Decimal yuan; floats are refused because they are not exact."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a str, int or Decimal")
    return Decimal(value)


def round_fen(value: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round to the fen, half up by default (四舍五入)."""
    return value.quantize(FEN, rounding=rounding)


def to_fen(value: Decimal) -> int:
    """Integer fen, for storage."""
    return int(round_fen(value) * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def fmt(value: Decimal) -> str:
    """Plain text without trailing zeros beyond what is needed: 245 -> '245', 73.2 -> '73.2'."""
    normalized = value.normalize()
    if normalized == normalized.to_integral():
        return str(normalized.quantize(Decimal(1)))
    return format(normalized, "f")


def canonical(value: Decimal) -> Decimal:
    """Exact value in its shortest form for output: 350.00 -> 350, 262.50 -> 262.5."""
    q = round_fen(value)
    if q == q.to_integral():
        return q.quantize(Decimal(1))
    return q.quantize(Decimal("0.1")) if q * 10 == (q * 10).to_integral() else q
