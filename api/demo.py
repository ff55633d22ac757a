"""Demo data for the API: a published read-only token for the demo learner, so `make run` can print a
working curl line. Only on a demo site (PODCASTCME_DEMO_ALLOWED); the token is public by design and
reads nothing but the demo learner's own records."""

from accounts.models import User

from .tokens import demo_token_create

# 'pcme_' + 40 letters and digits, like every token; known to anyone who reads this file.
DEMO_API_TOKEN = "pcme_DemoLearnerReadOnly000000000000000000000"
DEMO_TOKEN_NAME = "Demo integration (public token)"


def seed_demo_token(*, user: User) -> str | None:
    """Give ``user`` (the demo learner) the demo token; returns it, or None if it exists already."""
    token = demo_token_create(user=user, raw=DEMO_API_TOKEN, name=DEMO_TOKEN_NAME)
    return DEMO_API_TOKEN if token is not None else None
