from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "escalate.accounts"
    label = "accounts"
    verbose_name = "Accounts: invitations, password resets, partnerships"

    def ready(self) -> None:
        from django.conf import settings

        from escalate.ratelimit import parse_rate

        # A malformed limit stops start-up with its reason.
        parse_rate(settings.PASSWORD_RESET_ADDRESS_LIMIT, setting="PASSWORD_RESET_ADDRESS_LIMIT")
