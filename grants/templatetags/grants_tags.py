from __future__ import annotations

from decimal import Decimal

from django import template

from grants.financial_years import financial_year_label

register = template.Library()


@register.filter
def money(value: Decimal | int | None) -> str:
    """£47,110,918 for whole pounds, £1,234.50 otherwise; a dash when unknown."""
    if value is None:
        return "\u2013"  # en dash
    amount = Decimal(value)
    sign = "\u2212" if amount < 0 else ""  # minus sign
    amount = abs(amount)
    if amount == amount.to_integral_value():
        return f"{sign}£{amount:,.0f}"
    return f"{sign}£{amount:,.2f}"


@register.filter
def fy(value: int | None) -> str:
    return financial_year_label(value) if value else ""
