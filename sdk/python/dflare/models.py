"""Typed views of what the API answers. Specs and statuses stay plain dictionaries (each kind has its own shape,
see the API reference at /api/reference); everything the SDK itself reasons about is a dataclass."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List, Optional


def _time(text: Optional[str]) -> Optional[datetime]:
    if not text:
        return None
    # The API writes RFC 3339 with up to 7 fractional digits; Python reads at most 6.
    head, dot, tail = text.partition(".")
    if dot:
        digits = "".join(c for c in tail if c.isdigit())
        zone = tail[len(digits):]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"  # Python before 3.11 reads exactly 3 or 6 digits
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class FieldProblem:
    """One refused field: its path (``spec.pools[0].count``), a stable code and a message."""

    field: str
    code: str
    message: str


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem document as Dflare answers it."""

    status: int
    code: str
    title: str
    detail: Optional[str] = None
    errors: List[FieldProblem] = field(default_factory=list)
    correlation_id: Optional[str] = None

    @staticmethod
    def from_answer(status: int, body: Optional[dict], text: str = "") -> "Problem":
        if isinstance(body, dict) and isinstance(body.get("code"), str):
            errors = [FieldProblem(e.get("field", ""), e.get("code", ""), e.get("message", "")) for e in body.get("errors") or []]
            return Problem(status, body["code"], body.get("title", body["code"]), body.get("detail"), errors, body.get("correlationId"))
        if isinstance(body, dict) and isinstance(body.get("error"), str):  # an OAuth endpoint's error
            return Problem(status, body["error"], body["error"], body.get("error_description"))
        snippet = text[:200] if text else None
        return Problem(status, f"http-{status}", f"The server answered {status}.", snippet)


@dataclass(frozen=True)
class ObjectMeta:
    name: str
    uid: Optional[str] = None
    tenant: Optional[str] = None
    labels: Dict[str, str] = field(default_factory=dict)
    creation_timestamp: Optional[datetime] = None
    resource_version: Optional[str] = None

    @staticmethod
    def from_json(body: Dict[str, Any]) -> "ObjectMeta":
        return ObjectMeta(body.get("name", ""), body.get("uid"), body.get("tenant"), dict(body.get("labels") or {}),
                          _time(body.get("creationTimestamp")), body.get("resourceVersion"))


@dataclass
class Resource:
    """Any Dflare object: Kubernetes-shaped, with ``spec`` (what was asked) and ``status`` (what is)."""

    api_version: str
    kind: str
    metadata: ObjectMeta
    spec: Dict[str, Any]
    status: Dict[str, Any]
    raw: Dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def phase(self) -> Optional[str]:
        return self.status.get("phase")

    @property
    def operation_id(self) -> Optional[str]:
        """The operation working on it now (clusters), if any."""
        return self.status.get("operation")

    @staticmethod
    def from_json(body: Dict[str, Any]) -> "Resource":
        return Resource(body.get("apiVersion", ""), body.get("kind", ""), ObjectMeta.from_json(body.get("metadata") or {}),
                        dict(body.get("spec") or {}), dict(body.get("status") or {}), body)

    def to_body(self) -> Dict[str, Any]:
        """What a write takes: name, labels and spec (status is the server's)."""
        return {"apiVersion": self.api_version, "kind": self.kind,
                "metadata": {"name": self.metadata.name, "labels": dict(self.metadata.labels)}, "spec": self.spec}


@dataclass(frozen=True)
class OperationStep:
    name: str
    state: str
    attempts: int
    last_error: Optional[str]
    waiting_for: Optional[str]
    started_at: Optional[datetime]
    finished_at: Optional[datetime]


FINISHED_PHASES = ("Succeeded", "Failed", "Cancelled")


@dataclass(frozen=True)
class Operation:
    """A workflow run: Pending, Running, Compensating, then Succeeded, Failed or Cancelled."""

    id: str
    workflow: str
    target: Optional[str]
    phase: str
    current_step: Optional[str]
    last_error: Optional[str]
    steps: List[OperationStep]

    @property
    def finished(self) -> bool:
        return self.phase in FINISHED_PHASES

    @property
    def succeeded(self) -> bool:
        return self.phase == "Succeeded"

    @staticmethod
    def from_json(body: Dict[str, Any]) -> "Operation":
        status = body.get("status") or {}
        spec = body.get("spec") or {}
        steps = [OperationStep(s.get("name", ""), s.get("state", ""), int(s.get("attempts", 0)), s.get("lastError"), s.get("waitingFor"),
                               _time(s.get("startedAt")), _time(s.get("finishedAt"))) for s in status.get("steps") or []]
        return Operation((body.get("metadata") or {}).get("name", ""), spec.get("workflow", ""), spec.get("target"), status.get("phase", "Pending"),
                         status.get("currentStep"), status.get("lastError"), steps)


@dataclass(frozen=True)
class UsageRow:
    """One row of a usage query: the keys grouped by, the quantity in the meter's unit, and its amount.
    ``rated`` is False for usage still accruing (the hour under way), priced as the rater would price it."""

    meter: str
    unit: str
    quantity: Decimal
    amount: Decimal
    currency: str
    rated: bool
    project: Optional[str] = None
    user: Optional[str] = None
    cluster: Optional[str] = None
    dimension: Optional[str] = None
    hour: Optional[datetime] = None
    day: Optional[str] = None

    @staticmethod
    def from_json(row: Dict[str, Any]) -> "UsageRow":
        return UsageRow(row["meter"], row["unit"], Decimal(str(row["quantity"])), Decimal(str(row["amount"])), row.get("currency", ""),
                        bool(row.get("rated", True)), row.get("project"), row.get("user"), row.get("cluster"), row.get("dimension"),
                        _time(row.get("hour")), row.get("day"))


@dataclass(frozen=True)
class InvoiceLine:
    project: str
    meter: str
    dimension: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class Invoice:
    """A month's invoice (``period`` is yyyy-MM): Open until the late window closes, then Final."""

    tenant: str
    period: str
    status: str
    totals: Dict[str, Decimal]
    lines: List[InvoiceLine]

    @staticmethod
    def from_json(body: Dict[str, Any]) -> "Invoice":
        lines = [InvoiceLine(l["project"], l["meter"], l["dimension"], l["unit"], Decimal(str(l["quantity"])), Decimal(str(l["unitPrice"])),
                             l["currency"], Decimal(str(l["amount"]))) for l in body.get("lines") or []]
        return Invoice(body.get("tenant", ""), body["period"], body["status"], {k: Decimal(str(v)) for k, v in (body.get("totals") or {}).items()}, lines)


@dataclass(frozen=True)
class UserInfo:
    """Who a credential speaks for."""

    subject: str
    name: str
    realm: str
    tenant: Optional[str]
    kind: str
    groups: List[str]
    roles: List[str]
