from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationConfig(AppConfig):
    name = "operation"
    verbose_name = _("Operation")

    def ready(self) -> None:
        from operation.celery import ensure_broker_folders

        ensure_broker_folders()
