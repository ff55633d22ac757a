"""Editable lists: a formset the coordinator fills several rows of and saves at once (issue 15, item 7).

Progressive enhancement. The page shows a few blank rows; rows left untouched are ignored. Without
JavaScript, the "Add row" button submits the form and the view answers with the same rows (nothing
lost, nothing saved, no errors shown yet) and one more blank row (``with_added_row``). With JavaScript,
static/js/formset-rows.js clones the formset's empty form from a ``<template>`` and raises
TOTAL_FORMS instead. The row count is capped on the server (``absolute_max``) whatever is posted.
"""

from typing import Any

from django import forms
from django.forms.utils import ErrorDict
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

ADD_ROW = "add_row"  # the name of the "Add row" submit button


def filled_forms(formset: Any) -> list[Any]:
    """After validation: the rows to save (stored rows and the blank rows filled in, not those
    ticked for removal). An untouched blank row has no cleaned data."""
    return [
        form
        for form in formset.forms
        if form.cleaned_data and not (formset.can_delete and formset._should_delete_form(form))
    ]


class RowFormSet(forms.BaseFormSet):
    """A list of rows saved together; untouched rows are skipped, at least one row must be filled."""

    empty_message = _("Fill in at least one row.")
    require_one = True  # False: an empty list is the service's to judge (the quiz editor)

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if self.require_one and not filled_forms(self):
            raise forms.ValidationError(self.empty_message, code="empty")


def with_added_row(formset_class: Any, data: QueryDict, *, prefix: str, **kwargs: Any) -> Any:
    """The list as posted with one more blank row (up to the limit), showing no errors: the
    coordinator has not saved yet. A broken management form is shown with its error."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key, ""))
    except ValueError:
        total = -1
    if 0 <= total < formset_class.absolute_max:
        data[key] = str(total + 1)
    formset = formset_class(data, prefix=prefix, **kwargs)
    if formset.management_form.is_valid() and total <= formset_class.absolute_max:
        # Typed values are shown as typed (BoundField.value reads the data); validation waits for
        # Save. Django has no public way to show a bound form without its errors.
        for form in formset.forms:
            form._errors = ErrorDict()
        formset._errors = [form._errors for form in formset.forms]
        formset._non_form_errors = formset.error_class(error_class="nonform", renderer=formset.renderer)
    return formset
