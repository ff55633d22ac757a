"""Check constraints for credits in whole quarter hours (0.25 credit steps)."""

from typing import cast

from django.db import models
from django.db.models import F
from django.db.models.functions import Cast
from django.db.models.lookups import Exact


def _quarter_step(field: str) -> Exact:
    """True when ``field`` is a whole number of quarters: x*4 equals its own integer cast."""
    times_four = models.ExpressionWrapper(
        F(field) * 4, output_field=models.DecimalField(max_digits=8, decimal_places=2)
    )
    return Exact(times_four, Cast(times_four, output_field=models.IntegerField()))


def _with_quarter_steps(condition: models.Q, field: str) -> models.Q:
    """``condition`` and ``field`` in whole quarters. Django makes a Q of a Q and a conditional
    expression; django-stubs only knows Q & Q (it says Combinable), hence the cast."""
    return cast(models.Q, condition & _quarter_step(field))
