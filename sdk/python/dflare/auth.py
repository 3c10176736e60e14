"""Where the client's bearer token comes from."""
from __future__ import annotations

import abc
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable, Optional

from .errors import ApiError, error_for
from .models import Problem


class Credential(abc.ABC):
    """A source of bearer tokens. ``token(refresh=True)`` asks for a new one after the server refused the last."""

    @abc.abstractmethod
    def token(self, refresh: bool = False) -> str:
        """A bearer token for the next request."""


class StaticToken(Credential):
    """A token used as it is: the bootstrap credential, or an access token obtained elsewhere."""

    def __init__(self, token: str) -> None:
        self._token = token

    def token(self, refresh: bool = False) -> str:
        return self._token


def token_endpoint(base_url: str, realm: str) -> str:
    return f"{base_url.rstrip('/')}/realms/{urllib.parse.quote(realm)}/protocol/openid-connect/token"


def grant(base_url: str, realm: str, form: dict, timeout: float = 30.0) -> dict:
    """Posts an OAuth grant to the realm's token endpoint; answers the token response or raises the OAuth error."""
    request = urllib.request.Request(token_endpoint(base_url, realm), data=urllib.parse.urlencode(form).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8", "replace")
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        raise error_for(Problem.from_answer(e.code, body, text)) from None


class _Expiring(Credential):
    """A token fetched by a grant and fetched again 30 s before it expires."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._access: Optional[str] = None
        self._expires = 0.0

    @abc.abstractmethod
    def _fetch(self) -> dict:
        """The token endpoint's answer to this grant."""

    def token(self, refresh: bool = False) -> str:
        if refresh or self._access is None or self._clock() >= self._expires - 30:
            answer = self._fetch()
            self._access = answer["access_token"]
            self._expires = self._clock() + float(answer.get("expires_in", 300))
        return self._access


class ClientCredentials(_Expiring):
    """A service account of a realm (``POST /api/v1/realms/{realm}/service-accounts`` makes one and shows its secret once)."""

    def __init__(self, base_url: str, realm: str, client_id: str, client_secret: str, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self._form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        self._base_url, self._realm = base_url, realm

    def _fetch(self) -> dict:
        return grant(self._base_url, self._realm, self._form)


class Password(_Expiring):
    """A person's user name and password in a realm, as the public client ``dflare-cli``; the refresh token keeps the
    session going (refresh tokens rotate: each is spent once)."""

    def __init__(self, base_url: str, realm: str, username: str, password: str, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self._base_url, self._realm = base_url, realm
        self._login = {"grant_type": "password", "client_id": "dflare-cli", "username": username, "password": password}
        self._refresh: Optional[str] = None

    def _fetch(self) -> dict:
        if self._refresh is not None:
            try:
                answer = grant(self._base_url, self._realm, {"grant_type": "refresh_token", "client_id": "dflare-cli", "refresh_token": self._refresh})
                self._refresh = answer.get("refresh_token")
                return answer
            except ApiError:  # an expired, revoked or spent refresh token: sign in again
                self._refresh = None
        answer = grant(self._base_url, self._realm, self._login)
        self._refresh = answer.get("refresh_token")
        return answer
