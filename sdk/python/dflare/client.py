"""The Dflare REST API from Python, with the standard library only."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Callable, Dict, Iterator, List, Optional, Union

from .auth import ClientCredentials, Credential, Password, StaticToken
from .errors import NotFoundError, OperationFailed, OperationTimeout, error_for
from .models import Invoice, Operation, Problem, Resource, UsageRow, UserInfo

Body = Union[Dict[str, Any], str]
"""A spec: a dictionary, or YAML/JSON text (sent as it is; the server reads YAML)."""


class Client:
    """A connection to one Dflare control plane.

    >>> client = Client("http://127.0.0.1:5080", token="dfl_...", tenant="acme")
    >>> for node in client.nodes.list(): print(node.name, node.status["state"])

    Every refusal raises an :class:`~dflare.errors.ApiError` subclass carrying the problem document. A 401 is retried
    once with a fresh token; a 429 waits the ``Retry-After`` the server names (at most three times).
    """

    MAX_RATE_LIMIT_WAITS = 3

    def __init__(self, base_url: str, token: Optional[str] = None, credential: Optional[Credential] = None, tenant: Optional[str] = None,
                 timeout: float = 60.0, sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        if credential is None and token is None:
            raise ValueError("give token= or credential=")
        self.base_url = base_url.rstrip("/")
        self.credential: Credential = credential or StaticToken(token or "")
        self.tenant = tenant
        self.timeout = timeout
        self.requests_sent = 0
        self._sleep, self._clock = sleep, clock

    @classmethod
    def with_client_credentials(cls, base_url: str, realm: str, client_id: str, client_secret: str, **kwargs: Any) -> "Client":
        """A service account's client; its tenant defaults to the realm's (``platform`` has none)."""
        kwargs.setdefault("tenant", None if realm == "platform" else realm)
        return cls(base_url, credential=ClientCredentials(base_url, realm, client_id, client_secret), **kwargs)

    @classmethod
    def with_password(cls, base_url: str, realm: str, username: str, password: str, **kwargs: Any) -> "Client":
        kwargs.setdefault("tenant", None if realm == "platform" else realm)
        return cls(base_url, credential=Password(base_url, realm, username, password), **kwargs)

    # --- collections ---------------------------------------------------------------------------------------------

    def resources(self, plural: str, tenant: Optional[str] = None) -> "Collection":
        """Any collection by its API name: ``resources("racks")``, ``resources("budgets", tenant="acme")``."""
        return Collection(self, plural, tenant)

    @property
    def nodes(self) -> "Collection":
        return Collection(self, "nodes", None, platform=True)

    @property
    def tenants(self) -> "Collection":
        return Collection(self, "tenants", None, platform=True)

    @property
    def projects(self) -> "Collection":
        return Collection(self, "projects", self.tenant)

    @property
    def clusters(self) -> "Collection":
        return Collection(self, "clusters", self.tenant)

    @property
    def volumes(self) -> "Collection":
        return Collection(self, "volumes", self.tenant)

    @property
    def vpcs(self) -> "Collection":
        return Collection(self, "vpcs", self.tenant)

    @property
    def subnets(self) -> "Collection":
        return Collection(self, "subnets", self.tenant)

    # --- identity, operations, usage -----------------------------------------------------------------------------

    def whoami(self, realm: Optional[str] = None) -> UserInfo:
        """Who the credential speaks for, from the realm's UserInfo endpoint (default: the tenant's realm, else platform)."""
        realm = realm or self.tenant or "platform"
        body = self.request("GET", f"/realms/{urllib.parse.quote(realm)}/protocol/openid-connect/userinfo")
        return UserInfo(body["sub"], body.get("preferred_username", ""), body.get("realm", realm), body.get("tenant"),
                        body.get("principal_kind", ""), list(body.get("groups") or []), list(body.get("roles") or []))

    def operation(self, operation_id: str, tenant: Optional[str] = None) -> Operation:
        """An operation: under the tenant (what tenants may read) when one is known, else the operators' view."""
        return Operation.from_json(self.request("GET", self._operation_path(operation_id, tenant)))

    def operations(self, tenant: Optional[str] = None, **filters: str) -> Iterator[Operation]:
        tenant = tenant or self.tenant
        path = f"tenants/{tenant}/operations" if tenant else "operations"
        for item in self.paginate(path, filters):
            yield Operation.from_json(item)

    def wait(self, operation: Union[str, Operation, Resource], timeout: float = 600.0, interval: float = 0.25,
             on_change: Optional[Callable[[Operation], None]] = None, tenant: Optional[str] = None) -> Operation:
        """Polls an operation (its id, the Operation, or an object whose ``status.operation`` names one) until it ends.

        Calls ``on_change`` whenever what it shows changes. Answers the final operation when it succeeded; raises
        :class:`OperationFailed` when it failed or was cancelled, :class:`OperationTimeout` when time ran out.
        """
        if isinstance(operation, Resource):
            tenant = tenant or operation.metadata.tenant
            operation_id = operation.operation_id
            if not operation_id:
                raise ValueError(f"{operation.kind} {operation.name} names no operation")
        elif isinstance(operation, Operation):
            operation_id = operation.id
        else:
            operation_id = operation
        deadline = self._clock() + timeout
        last: Optional[Operation] = None
        while True:
            current = self.operation(operation_id, tenant)
            if on_change is not None and current != last:
                on_change(current)
            last = current
            if current.finished:
                if not current.succeeded:
                    raise OperationFailed(current)
                return current
            if self._clock() >= deadline:
                raise OperationTimeout(current, timeout)
            self._sleep(interval)

    def usage(self, start: str, end: str, group_by: Optional[List[str]] = None, tenant: Optional[str] = None) -> List[UsageRow]:
        """Usage in [start, end) (RFC 3339 times), grouped by any of project, user, cluster, meter, dimension, hour, day:
        rated hours, and what is still accruing (``rated`` False)."""
        query = {"from": start, "to": end, "groupBy": ",".join(group_by or ["project", "meter"])}
        return [UsageRow.from_json(r) for r in self.request("GET", f"tenants/{self._tenant(tenant)}/usage?{urllib.parse.urlencode(query)}")]

    def invoices(self, tenant: Optional[str] = None) -> List[Dict[str, Any]]:
        """Each month with billing records: period, status (Open or Final) and totals."""
        return list(self.request("GET", f"tenants/{self._tenant(tenant)}/invoices"))

    def invoice(self, period: str, tenant: Optional[str] = None) -> Invoice:
        return Invoice.from_json(self.request("GET", f"tenants/{self._tenant(tenant)}/invoices/{urllib.parse.quote(period)}"))

    # --- the wire -----------------------------------------------------------------------------------------------

    def paginate(self, path: str, query: Optional[Dict[str, Any]] = None, page_size: Optional[int] = None) -> Iterator[Dict[str, Any]]:
        """Every item of a list, fetching the next page (``metadata.continue``) only when the caller gets there."""
        token: Optional[str] = None
        while True:
            params = {k: v for k, v in (query or {}).items() if v is not None}
            if page_size:
                params["limit"] = page_size
            if token:
                params["continue"] = token
            page = self.request("GET", path + ("?" + urllib.parse.urlencode(params) if params else ""))
            yield from page.get("items") or []
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return

    def request(self, method: str, path: str, body: Optional[Body] = None, headers: Optional[Dict[str, str]] = None) -> Any:
        """Sends a request to ``/api/v1/<path>`` (or to ``path`` as it is when it starts with /); answers the parsed JSON
        (None when empty) or raises the ApiError the server's problem document describes."""
        url = self.base_url + (path if path.startswith("/") else "/api/v1/" + path)
        data: Optional[bytes] = None
        content_type = None
        if isinstance(body, str):
            data, content_type = body.encode(), "application/yaml"
        elif body is not None:
            data, content_type = json.dumps(body).encode(), "application/json"
        refreshed = False
        waits = 0
        while True:
            request = urllib.request.Request(url, data=data, method=method)
            request.add_header("Accept", "application/json")
            request.add_header("Authorization", "Bearer " + self.credential.token(refresh=refreshed))
            request.add_header("User-Agent", "dflare-python/0.1")
            if content_type:
                request.add_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                request.add_header(name, value)
            self.requests_sent += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as e:
                text = e.read().decode("utf-8", "replace")
                if e.code == 401 and not refreshed and not isinstance(self.credential, StaticToken):
                    refreshed = True
                    continue
                if e.code == 429 and waits < self.MAX_RATE_LIMIT_WAITS:
                    waits += 1
                    self._sleep(min(float(e.headers.get("Retry-After") or 1), 30.0))
                    continue
                try:
                    parsed = json.loads(text) if text else None
                except ValueError:
                    parsed = None
                raise error_for(Problem.from_answer(e.code, parsed, text)) from None

    def _tenant(self, tenant: Optional[str]) -> str:
        tenant = tenant or self.tenant
        if not tenant:
            raise ValueError("no tenant: pass tenant= or set Client.tenant")
        return tenant

    def _operation_path(self, operation_id: str, tenant: Optional[str]) -> str:
        tenant = tenant or self.tenant
        return f"tenants/{tenant}/operations/{operation_id}" if tenant else f"operations/{operation_id}"


class Collection:
    """One collection of the API: ``client.clusters``, ``client.resources("racks")``."""

    def __init__(self, client: Client, plural: str, tenant: Optional[str], platform: bool = False) -> None:
        self._client, self.plural, self.tenant, self._platform = client, plural, tenant, platform

    def in_tenant(self, tenant: str) -> "Collection":
        return Collection(self._client, self.plural, tenant, self._platform)

    @property
    def path(self) -> str:
        if self._platform or self.plural in PLATFORM_KINDS:
            return self.plural
        if not self.tenant:
            raise ValueError(f"{self.plural} belong to a tenant: set Client.tenant or use .in_tenant(name)")
        return f"tenants/{self.tenant}/{self.plural}"

    def list(self, label_selector: Optional[str] = None, page_size: Optional[int] = None, **filters: str) -> Iterator[Resource]:
        """Every object, page by page as the iteration goes."""
        query: Dict[str, Any] = dict(filters)
        if label_selector:
            query["labelSelector"] = label_selector
        for item in self._client.paginate(self.path, query, page_size):
            yield Resource.from_json(item)

    def get(self, name: str) -> Resource:
        return Resource.from_json(self._client.request("GET", f"{self.path}/{urllib.parse.quote(name)}"))

    def create(self, body: Body, idempotency_key: Optional[str] = None) -> Resource:
        """Creates an object; a retry with the same ``idempotency_key`` answers the first answer (one is made up when
        none is given, so the client's own retries never create twice)."""
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        return Resource.from_json(self._client.request("POST", self.path, body, headers))

    def replace(self, name: str, body: Body) -> Resource:
        """PUTs the whole spec; ``metadata.resourceVersion`` in the body, when present, must still be current."""
        return Resource.from_json(self._client.request("PUT", f"{self.path}/{urllib.parse.quote(name)}", body))

    def apply(self, body: Dict[str, Any]) -> Resource:
        """Creates the object, or replaces the spec of the one that exists under that name."""
        name = (body.get("metadata") or {}).get("name")
        if not name:
            raise ValueError("metadata.name is required")
        try:
            self.get(name)
        except NotFoundError:
            return self.create(body)
        return self.replace(name, body)

    def delete(self, name: str, force: bool = False) -> Optional[Operation]:
        """Deletes; answers the operation doing it (clusters) or None when it is done."""
        answer = self._client.request("DELETE", f"{self.path}/{urllib.parse.quote(name)}" + ("?force=true" if force else ""))
        return Operation.from_json(answer) if isinstance(answer, dict) and answer.get("kind") == "Operation" else None


PLATFORM_KINDS = frozenset({"nodes", "tenants", "racks", "sites", "skus", "images", "fabrics", "network-pools", "storage-backends", "price-books", "operations"})
