"""Dflare's Python SDK: the control plane's REST API with the standard library only.

    from dflare import Client
    client = Client("http://127.0.0.1:5080", token="dfl_...", tenant="acme")
    cluster = client.clusters.create(open("examples/slurm-cluster.yaml").read())
    client.wait(cluster, on_change=lambda op: print(op.current_step))
"""
from .auth import ClientCredentials, Credential, Password, StaticToken
from .client import Client, Collection
from .errors import (ApiError, ConflictError, NotFoundError, OperationFailed, OperationTimeout, RateLimitedError, UnauthorizedError,
                     ValidationError)
from .models import FieldProblem, Invoice, InvoiceLine, ObjectMeta, Operation, OperationStep, Problem, Resource, UsageRow, UserInfo

__all__ = [
    "ApiError", "Client", "ClientCredentials", "Collection", "ConflictError", "Credential", "FieldProblem", "Invoice", "InvoiceLine",
    "NotFoundError", "ObjectMeta", "Operation", "OperationFailed", "OperationStep", "OperationTimeout", "Password", "Problem",
    "RateLimitedError", "Resource", "StaticToken", "UnauthorizedError", "UsageRow", "UserInfo", "ValidationError",
]
__version__ = "0.1.0"
