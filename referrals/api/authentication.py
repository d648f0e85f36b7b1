"""The provider API's credentials: one or more keys per provider, sent as
``Authorization: Bearer <key>``; only a key's SHA-256 is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from referrals.models import Provider, ProviderApiToken
from referrals.services import provider_token_hash


@dataclass(frozen=True)
class ProviderPrincipal:
    """Who is calling: a provider's system, not a person."""

    provider: Provider
    is_authenticated: bool = True


class ProviderTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ProviderPrincipal, ProviderApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace") != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send one key: Authorization: Bearer <key>.")
        key = header[1].decode(errors="replace")
        token = (
            ProviderApiToken.objects.select_related("provider")
            .filter(key_hash=provider_token_hash(key), revoked=False)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked key.")
        return ProviderPrincipal(provider=token.provider), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class IsProvider(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ProviderApiToken)


class ProviderTokenScheme(OpenApiAuthenticationExtension):
    target_class = ProviderTokenAuthentication
    name = "providerKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A provider API key"}
