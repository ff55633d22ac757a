import pytest

from audit.models import AuditEvent
from audit.services import audit_record


@pytest.mark.django_db
def test_audit_rows_are_append_only(learner):
    event = audit_record(actor=learner, action="test.done", obj=learner, data={"x": 1})
    assert AuditEvent.objects.for_object(learner).get() == event
    event.action = "changed"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(action="x")
    assert AuditEvent.objects.get().action == "test.done"
