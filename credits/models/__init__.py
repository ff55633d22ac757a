"""The credits app's models, one module per concern; import them from ``credits.models``."""

from .activities import (
    DEFAULT_REQUIREMENTS,
    Activity,
    ActivityQuerySet,
    CommercialSupport,
    MandateTopic,
    Option,
    Question,
    RevealAnswers,
)
from .certificates import (
    CERTIFICATE_FORMAT,
    RENDER_OVERDUE_MINUTES,
    Certificate,
    CertificateRevision,
    CorrectionRequest,
)
from .disclosures import ContentPerson, Disclosure
from .external import ExternalCredit, ExternalCreditType, _external_certificate_path
from .providers import (
    GRANT_CLOSED_STATUSES,
    GRANT_OPEN_STATUSES,
    GRANT_PENDING_STATUSES,
    AccreditationType,
    GrantQuerySet,
    GrantStatus,
    Provider,
    ProviderCoordinator,
    ShowProviderGrant,
)
from .quarters import _quarter_step, _with_quarter_steps
from .records import (
    Attempt,
    CompletionRecord,
    CreditClaim,
    CreditType,
    Evaluation,
    Likert,
    ListeningProgress,
    RecordQuerySet,
    _AppendOnly,
)
from .versions import ActivityVersion

__all__ = [
    "CERTIFICATE_FORMAT",
    "GRANT_CLOSED_STATUSES",
    "GRANT_OPEN_STATUSES",
    "GRANT_PENDING_STATUSES",
    "RENDER_OVERDUE_MINUTES",
    "AccreditationType",
    "DEFAULT_REQUIREMENTS",
    "Activity",
    "ActivityVersion",
    "CommercialSupport",
    "ActivityQuerySet",
    "Attempt",
    "Certificate",
    "CertificateRevision",
    "CompletionRecord",
    "ContentPerson",
    "CorrectionRequest",
    "CreditClaim",
    "CreditType",
    "Disclosure",
    "Evaluation",
    "ExternalCredit",
    "ExternalCreditType",
    "GrantQuerySet",
    "GrantStatus",
    "Likert",
    "ListeningProgress",
    "MandateTopic",
    "Option",
    "Provider",
    "ProviderCoordinator",
    "Question",
    "RecordQuerySet",
    "RevealAnswers",
    "ShowProviderGrant",
    "_AppendOnly",
    "_external_certificate_path",
    "_quarter_step",
    "_with_quarter_steps",
]
