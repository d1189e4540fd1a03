from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScenariosConfig(AppConfig):
    name = "scenarios"
    verbose_name = _("Scenarios")

    def ready(self) -> None:
        """What scenarios do when a lower layer announces a change (core/hooks.py)."""
        from core import hooks
        from scenarios.services import scenarios

        hooks.listen(hooks.ORGANIZATION_SUSPENDED, scenarios.cascade_organization)
        hooks.listen(hooks.CATALOG_WITHDRAWN, scenarios.cascade_catalog_withdrawn)
        hooks.listen(hooks.CATALOG_REPUBLISHED, scenarios.workspaces_refresh_for_catalog)
