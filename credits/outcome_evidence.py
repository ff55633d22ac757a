"""What was measured about an activity's outcomes, for its PARS outcome measure fields (credits/pars.py).

PARS asks for at least one outcome measure per activity (learner knowledge, competence, performance,
patient or community health); the coordinator ticks them on the activity's PARS page. Measuring is
done higher up: followups (spaced knowledge checks and the practice-change question, issue 18)
registers here from its AppConfig.ready() a function that reads, for several activities at once, what
was measured, as one sentence per outcome measure code. credits never imports followups
(docs/architecture.md).

The evidence is shown beside the coordinator's choice and suggests a measure they have not ticked;
it never changes their stored choice and never blocks the PARS export.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from .models import Activity

# activities -> {activity id: {outcome measure code: a sentence saying what was measured}}.
# Called once per page for all of its activities: a fixed number of queries whatever their number.
OutcomeEvidenceSource = Callable[[Sequence[Activity]], Mapping[int, Mapping[str, str]]]
_sources: list[OutcomeEvidenceSource] = []


def register_outcome_evidence(source: OutcomeEvidenceSource) -> None:
    """Called by a higher app's AppConfig.ready(); registering twice keeps one."""
    if source not in _sources:
        _sources.append(source)


def unregister_outcome_evidence(source: OutcomeEvidenceSource) -> None:
    """For tests: forget ``source``."""
    if source in _sources:
        _sources.remove(source)


def outcome_evidence(activities: Sequence[Activity]) -> dict[int, dict[str, list[str]]]:
    """{activity id: {outcome measure code: [what each source measured]}} (only codes with evidence)."""
    found: dict[int, dict[str, list[str]]] = {}
    if not activities:
        return found
    for source in _sources:
        for activity_id, by_code in source(activities).items():
            for code, sentence in by_code.items():
                found.setdefault(activity_id, {}).setdefault(code, []).append(sentence)
    return found


def evidence_suggestions(
    activity: Activity, evidence: Mapping[str, Any], labels: Mapping[str, Any]
) -> list[str]:
    """For each measure with evidence that the coordinator has not chosen: a suggestion to tick it."""
    chosen = set(activity.pars_outcome_measures or [])
    return [
        _("%(measure)s was measured (see the evidence), but it is not ticked as an outcome measure: "
          "tick it on the activity's PARS page if you report it.") % {"measure": labels.get(code, code)}
        for code in labels
        if code in evidence and code not in chosen
    ]  # fmt: skip
