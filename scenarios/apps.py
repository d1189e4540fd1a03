from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScenariosConfig(AppConfig):
    name = "scenarios"
    verbose_name = _("Scenarios")

    def ready(self) -> None:
        """What scenarios do when a lower layer announces a change (core/hooks.py)."""
        from django.db.models.signals import post_delete, post_save

        from core import hooks
        from scenarios.dataservices import keys, lookups
        from scenarios.services import scenarios

        hooks.listen(hooks.ORGANIZATION_SUSPENDED, scenarios.cascade_organization)
        hooks.listen(hooks.ORGANIZATION_REINSTATED, scenarios.cascade_organization_reinstated)
        hooks.listen(hooks.MEMBER_DEACTIVATED, keys.cascade_member_deactivated)
        hooks.listen(hooks.CATALOG_WITHDRAWN, scenarios.cascade_catalog_withdrawn)
        hooks.listen(hooks.CATALOG_REPUBLISHED, scenarios.workspaces_refresh_for_catalog)
        # A key, scenario, definition, workspace or quota saved here: the next call looks
        # them up again (other processes within SERVICES_LOOKUP_MS).
        post_save.connect(lookups.forget, dispatch_uid="services-lookups-save")
        post_delete.connect(lookups.forget, dispatch_uid="services-lookups-delete")
