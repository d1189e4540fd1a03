from django.core.management.base import BaseCommand, CommandError

from core.services.audit import audit_verify_report, checkpoint_path


class Command(BaseCommand):
    help = (
        "Verify the audit trail: every event's link, sequence and keyed hash, every "
        "checkpoint's signature and hash, and that no event after the latest checkpoint "
        "is gone; exit non-zero naming the first broken event or checkpoint."
    )

    def handle(self, *args, **options):
        report = audit_verify_report()
        if report.broken is not None:
            raise CommandError(str(report.broken))
        self.stdout.write(
            f"audit chain intact: {report.events} events ({report.keyed_events} keyed), "
            f"{report.checkpoints} checkpoints (latest #{report.latest_checkpoint}) "
            f"in {checkpoint_path()}"
        )
        if report.keyed_events and not report.checkpoints:
            self.stderr.write(
                "warning: no checkpoint yet, so deleting the newest events would go unnoticed"
            )
