from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = _("Data asset registration")

    def ready(self) -> None:
        """What registrations do when their basis goes away or comes back (core/hooks.py)."""
        from assets.services import cascades
        from core import hooks

        hooks.listen(hooks.ORGANIZATION_SUSPENDED, cascades.assets_for_organization)
        hooks.listen(hooks.ORGANIZATION_REINSTATED, cascades.assets_for_organization_reinstated)
        hooks.listen(hooks.CATALOG_WITHDRAWN, cascades.assets_for_catalog)
        hooks.listen(hooks.SCENARIO_ENDED, cascades.assets_for_scenario)
        hooks.listen(hooks.SCENARIO_REINSTATED, cascades.assets_for_scenario_reinstated)
