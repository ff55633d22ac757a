"""Disclosures of the people in control of an activity's content (ACCME Standards 3.1-3.5).

Two functions here are what activity versions (credits/versions.py) read; keep their shapes:
- ``people_snapshot(activity)``: the people as learners are shown them, frozen in each version;
- ``people_publish_problems(activity)``: what stops publishing, in words a coordinator acts on.
"""

from typing import Any

from django.utils.translation import gettext as _

from .models import Activity, ContentPerson


def people_snapshot(activity: Activity) -> list[dict[str, Any]]:
    """Each person in control of content with their *relevant* relationships (Standard 3.5).

    [{"name", "credentials", "role", "role_label", "disclosure_collected_on" (ISO date or None),
      "relevant": [{"company", "nature", "nature_label", "mitigation", "mitigation_label"}]}]
    An empty "relevant" list is shown as "no relevant financial relationships".
    """
    people = []
    for person in ContentPerson.objects.filter(activity=activity).prefetch_related("disclosures"):
        people.append(
            {
                "name": person.name,
                "credentials": person.credentials,
                "role": person.role,
                "role_label": str(person.get_role_display()),
                "disclosure_collected_on": None,
                "relevant": [
                    {
                        "company": d.company,
                        "nature": d.nature,
                        "nature_label": str(d.get_nature_display()),
                        "mitigation": "recorded" if d.mitigated else "",
                        "mitigation_label": _("Mitigated") if d.mitigated else "",
                    }
                    for d in person.disclosures.all()
                ],
            }
        )
    return people


def people_publish_problems(activity: Activity) -> list[str]:
    """Why the people and disclosures do not allow publishing yet (empty: they do)."""
    people = list(ContentPerson.objects.filter(activity=activity).prefetch_related("disclosures"))
    problems = []
    if not people:
        problems.append(_("Add at least one person in control of content, with their disclosure."))
    for person in people:
        for disclosure in person.disclosures.all():
            if not disclosure.mitigated:
                problems.append(
                    _("The relationship of %(name)s with %(company)s is not mitigated.")
                    % {"name": person.name, "company": disclosure.company}
                )
    return problems
