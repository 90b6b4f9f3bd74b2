from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from lms import receivers

        user_logged_in.connect(receivers.record_sign_in_time, dispatch_uid="lms-sign-in-time")
        user_logged_in.connect(
            receivers.forget_failures_of_this_account_from_this_address,
            dispatch_uid="lms-lockout-reset",
        )
