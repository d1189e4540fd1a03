from django.core.management.base import BaseCommand, CommandError

from operation.models import AuditEvent
from operation.services.audit import audit_verify


class Command(BaseCommand):
    help = "Walk the audit trail's hash chain; exit non-zero naming the first broken event."

    def handle(self, *args, **options):
        broken = audit_verify()
        if broken is not None:
            raise CommandError(str(broken))
        self.stdout.write(f"audit chain intact: {AuditEvent.objects.count()} events")
