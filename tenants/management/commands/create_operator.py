"""First start of a real deployment: the operator organization and its first staff."""

import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from tenants.models import MemberRole, Organization, OrganizationKind
from tenants.roles import PlatformRole
from tenants.services.organizations import member_create, organization_create, role_grant


class Command(BaseCommand):
    help = (
        "Create the operator organization and an operator-staff administrator. The password "
        "comes from OPERATOR_PASSWORD or is asked for."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="organization name (Chinese)")
        parser.add_argument("--name-en", default="")
        parser.add_argument("--credit-code", required=True)
        parser.add_argument("--contact", required=True, help="contact person")
        parser.add_argument("--phone", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--username", required=True)

    def handle(self, *args, **o):
        if Organization.objects.filter(kind=OrganizationKind.OPERATOR).exists():
            raise CommandError("the operator organization already exists")
        password = os.environ.get("OPERATOR_PASSWORD") or getpass.getpass("Password: ")
        try:
            organization = organization_create(
                by=None,
                kind=OrganizationKind.OPERATOR,
                fields={
                    "name": o["name"],
                    "name_en": o["name_en"],
                    "credit_code": o["credit_code"],
                    "contact_person": o["contact"],
                    "phone": o["phone"],
                    "email": o["email"],
                },
            )
            user = member_create(
                by=None,
                organization=organization,
                role=MemberRole.ADMIN,
                user_fields={"username": o["username"], "email": o["email"], "password": password},
            )
        except ApplicationError as error:
            raise CommandError(f"{error.field or 'input'}: {error.message}") from None
        role_grant(by=None, user=user, role=PlatformRole.OPERATOR_STAFF)
        self.stdout.write(
            f"operator {organization.name} created; {user.username} is operator staff"
        )
