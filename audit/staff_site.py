"""The staff site: Django's admin behind a password and a second factor."""

from __future__ import annotations

from typing import Any

from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.forms import OTPTokenForm
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class CodeChoosesDeviceMixin:
    """Staff type a code and need not pick a device from a list: a 6-digit
    code is checked against their authenticator app, anything else against
    their backup codes. Only the signing-in user's own devices are used."""

    cleaned_data: dict[str, Any]

    def _chosen_device(self, user: Any) -> Any:
        device = super()._chosen_device(user)  # type: ignore[misc]
        if device is not None:
            return device
        token = (self.cleaned_data.get("otp_token") or "").strip()
        model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
        return model.objects.filter(user=user, confirmed=True).first()


class StaffAuthenticationForm(CodeChoosesDeviceMixin, OTPAdminAuthenticationForm):
    pass


class StaffTokenForm(CodeChoosesDeviceMixin, OTPTokenForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["otp_device"].required = False


class StaffAdminSite(OTPAdminSite):
    login_form = StaffAuthenticationForm
    site_header = "Hate crime reporting: staff site"
    site_title = "Staff site"
