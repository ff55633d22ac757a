"""Template filters for payments: an order's amount for people."""

from django import template

from ..money import format_amount

register = template.Library()


@register.filter
def amount(order) -> str:
    return format_amount(order.amount, order.currency)
