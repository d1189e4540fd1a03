"""Organizations (operator, developer, provider) and their members."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.names import BilingualName
from tenants.uscc import validate_uscc


class OrganizationKind(models.TextChoices):
    OPERATOR = "operator", _("Primary operator")
    DEVELOPER = "developer", _("Secondary developer")
    PROVIDER = "provider", _("Data provider")


class Organization(BilingualName, models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=OrganizationKind.choices)
    name = models.CharField(_("name (Chinese)"), max_length=200, unique=True)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    contact_person = models.CharField(_("contact person"), max_length=100)
    phone = models.CharField(_("phone"), max_length=40)
    email = models.EmailField(_("email"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Every member is in members_group; admins are in admins_group too (the people told
    # of the organization's matters). Object permissions (to see the organization and its
    # admission) are granted to members_group, never to individual users; who administers
    # the organization is the membership's role (tenants.permissions.is_org_admin).
    members_group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="organization_as_members"
    )
    admins_group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="organization_as_admins"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    """A person belongs to exactly one organization."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)
    # Deactivated by operator staff (a sanction): only operator staff reactivate them.
    deactivated_by_operator = models.BooleanField(_("deactivated by operator staff"), default=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class OrganizationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)


class OrganizationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)
