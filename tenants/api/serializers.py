from rest_framework import serializers

from tenants.models import (
    AdmissionApplication,
    AdmissionStatus,
    MemberRole,
    Membership,
    Organization,
    QualificationFile,
)
from tenants.services.admission import allowed_actions


class OrganizationOutput(serializers.ModelSerializer):
    # null: an organization that never applied (operators, providers).
    admission_status = serializers.ChoiceField(
        choices=AdmissionStatus.choices, source="admission.status", default=None, allow_null=True
    )

    class Meta:
        model = Organization
        fields = [
            "id",
            "kind",
            "name",
            "name_en",
            "credit_code",
            "contact_person",
            "phone",
            "email",
            "address",
            "created_at",
            "admission_status",
        ]


class QualificationFileOutput(serializers.ModelSerializer):
    class Meta:
        model = QualificationFile
        fields = ["id", "original_name", "kind", "size", "sha256", "uploaded_at"]


class AdmissionOutput(serializers.ModelSerializer):
    organization = OrganizationOutput()
    files = QualificationFileOutput(many=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = AdmissionApplication
        fields = [
            "id",
            "organization",
            "status",
            "business_scope",
            "security_measures",
            "commitment_sha256",
            "commitment_accepted_at",
            "submitted_at",
            "decided_at",
            "reason",
            "files",
            "allowed_actions",
        ]

    def get_allowed_actions(self, obj) -> list[str]:
        return allowed_actions(obj)


class AdmissionSubmitInput(serializers.Serializer):
    business_scope = serializers.CharField()
    security_measures = serializers.CharField()
    commitment_sha256 = serializers.CharField(max_length=64)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class DecisionInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MemberOutput(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    email = serializers.EmailField(source="user.email")
    active = serializers.BooleanField(
        source="user.is_active", help_text="False: deactivated, can no longer log in."
    )

    class Meta:
        model = Membership
        fields = [
            "id",
            "username",
            "email",
            "role",
            "active",
            "deactivated_by_operator",
            "joined_at",
        ]


class MemberActionInput(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="deactivate, reactivate."
    )
    role = serializers.ChoiceField(
        choices=MemberRole.choices, required=False, help_text="role: the new role."
    )


class TokenInput(serializers.Serializer):
    # Django's own limits: a longer name is no user's (and would not fit the lock-out
    # records either); a password is hashed whatever its length, so it is bounded too.
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(trim_whitespace=False, max_length=4096)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class MeOutput(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField()
    roles = serializers.ListField(child=serializers.CharField())
    organization = OrganizationOutput(allow_null=True)
    organization_role = serializers.CharField(allow_null=True)
