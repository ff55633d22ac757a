"""Every move an order can make writes a declared action, the same string as before it was a constant."""

from billing.audit_actions import ORDER_MOVED_TO
from billing.models import ORDER_TRANSITIONS, OrderStatus


def test_every_status_an_order_can_reach_has_its_action():
    reachable = set().union(*ORDER_TRANSITIONS.values())
    assert reachable <= set(ORDER_MOVED_TO)
    assert set(ORDER_MOVED_TO) == set(OrderStatus.values)
    for status, action in ORDER_MOVED_TO.items():
        assert action == f"order.{status}"  # the strings stored rows and reports match on
