"""Admin autocomplete that survives a posted value which is not a key (Django's widget queries with it).

When an admin form with an autocomplete field is shown again after a failed POST, Django's
``AutocompleteSelect`` looks the posted values up in the database as they are: ``user="abc"`` raises
``ValueError`` and a number past 64 bits overflows SQLite, both a 500. Values the target field
cannot hold are dropped before the lookup; the form still says the choice is invalid.
"""

from typing import TYPE_CHECKING

from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import connections

if TYPE_CHECKING:  # the mixin goes in front of a ModelAdmin or an inline, whose methods it calls
    from django.contrib.admin.options import BaseModelAdmin as _AdminBase
else:
    _AdminBase = object


class KeySafeAutocompleteSelect(AutocompleteSelect):
    def _is_key(self, value) -> bool:
        remote = self.field.remote_field
        target = remote.model._meta.get_field(remote.field_name)
        try:
            key = target.to_python(value)
        except ValidationError:
            return False
        if isinstance(key, int):
            low, high = connections[self.db or "default"].ops.integer_field_range(target.get_internal_type())
            return (low is None or key >= low) and (high is None or key <= high)
        return True

    def optgroups(self, name, value, attr=None):
        value = [v for v in value if v in (None, "") or self._is_key(v)]
        return super().optgroups(name, value, attr)


class KeySafeAutocompleteMixin(_AdminBase):
    """For a ModelAdmin or inline with ``autocomplete_fields``."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeySafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
