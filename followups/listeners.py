"""What followups does when credits tells of a claim or a revoked certificate (credits/events.py)."""

from credits.events import CERTIFICATE_REVOKED, CLAIM_CREATED
from credits.models import Certificate, CreditClaim

from . import services


def on_credit_event(event: str, object_id: int) -> None:
    if event == CLAIM_CREATED:
        claim = CreditClaim.objects.filter(pk=object_id).first()
        if claim is not None:
            services.follow_ups_schedule_for_claim(claim)
    elif event == CERTIFICATE_REVOKED:
        claim_id = Certificate.objects.filter(pk=object_id).values_list("claim_id", flat=True).first()
        if claim_id is not None:
            services.follow_ups_cancel_for_claim(claim_id, reason="certificate_revoked")
