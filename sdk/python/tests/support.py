"""What the SDK's tests share: a client for the server named by DFLARE_URL and DFLARE_TOKEN (a platform admin), and
fresh tenants, so that runs never see each other's objects."""
from __future__ import annotations

import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from dflare import Client  # noqa: E402


def admin(tenant: str | None = None) -> Client:
    url, token = os.environ.get("DFLARE_URL"), os.environ.get("DFLARE_TOKEN")
    if not url or not token:
        # Fail, never skip: a test that cannot run is not coverage.
        raise RuntimeError("set DFLARE_URL and DFLARE_TOKEN to a running server and its admin credential (the test command does)")
    return Client(url, token=token, tenant=tenant)


def new_tenant(client: Client, prefix: str) -> str:
    """A tenant with project 'research', named uniquely."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    client.tenants.create({"metadata": {"name": name}, "spec": {"displayName": name}})
    client.projects.in_tenant(name).create({"metadata": {"name": "research"}, "spec": {"displayName": "Research"}})
    return name
