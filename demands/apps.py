from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemandsConfig(AppConfig):
    name = "demands"
    verbose_name = _("Data demands")

    def ready(self) -> None:
        """What the demand list does when a lower layer announces a change (core/hooks.py)."""
        from core import hooks
        from demands.services import demands

        hooks.listen(hooks.CATALOG_PUBLISHED, demands.demands_link_published)
        hooks.listen(hooks.CATALOG_WITHDRAWN, demands.demands_unlink_withdrawn)
