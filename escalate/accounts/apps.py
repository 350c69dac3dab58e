from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "escalate.accounts"
    label = "accounts"
    verbose_name = "Accounts: invitations, password resets, partnerships"
