from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DedupConfig(AppConfig):
    name = "dedup"
    verbose_name = _("Possible duplicates")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from enrollment.eligibility import WARNING_HOOKS
        from participants.models import Worker

        from .scan import keys_refresh
        from .selectors import other_cover_warnings

        if other_cover_warnings not in WARNING_HOOKS:
            WARNING_HOOKS.append(other_cover_warnings)

        def refresh(sender, instance, raw=False, **kwargs):
            if not raw:
                keys_refresh([instance])

        # Bulk writes (imports) call keys_refresh themselves.
        post_save.connect(refresh, sender=Worker, dispatch_uid="dedup_worker_keys")
