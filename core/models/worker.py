"""Workers' liveness: each Celery worker's main process records that it is alive."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    hostname = models.CharField(_("worker"), max_length=200, unique=True)
    queues = models.CharField(_("queues"), max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(_("started at"))
    seen_at = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        db_table = "operation_workerheartbeat"  # created by the operation app's migrations
        ordering = ["hostname"]
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self) -> str:
        return self.hostname

    @property
    def queue_names(self) -> list[str]:
        return [name for name in self.queues.split(",") if name]
