from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from core.models import AuditEvent
from core.selectors import audit_events_filter
from tenants.selectors import audit_events_visible_to


class AuditEventOutput(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "time",
            "actor_username",
            "organization",
            "action",
            "target_type",
            "target_id",
            "details",
            "prev_hash",
            "hash",
        ]


@extend_schema(
    parameters=[
        OpenApiParameter(name, str, description=description)
        for name, description in [
            ("action", "action prefix, e.g. admission."),
            ("actor", "username"),
            ("organization", "organization id"),
            ("target_type", "e.g. tenants.admissionapplication"),
            ("target_id", "target primary key"),
            ("since", "YYYY-MM-DD"),
            ("until", "YYYY-MM-DD"),
        ]
    ]
)
class AuditEventListView(ListAPIView):
    """The audit trail, for operator staff and auditors, newest first."""

    serializer_class = AuditEventOutput

    def get_queryset(self):
        return audit_events_filter(
            audit_events_visible_to(self.request.user), self.request.query_params
        )
