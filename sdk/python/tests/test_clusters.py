"""A cluster's life from Python: create, wait with progress, read usage as it accrues, delete and wait."""
import unittest
from datetime import datetime, timedelta, timezone

from dflare import Client, OperationTimeout, Operation

from .support import admin, new_tenant

CLUSTER = {"kind": "Cluster", "metadata": {"name": "train"},
           "spec": {"project": "research", "type": "slurm", "pools": [{"name": "gpu", "sku": "hgx-h100-8", "count": 2}],
                    "slurm": {"partitions": [{"name": "gpu", "pools": ["gpu"], "default": True}]}}}


class ClusterTests(unittest.TestCase):
    def setUp(self) -> None:
        self.client = admin()

    def test_create_wait_usage_and_delete(self) -> None:
        tenant = new_tenant(self.client, "sdk-cl")
        client = admin(tenant)
        cluster = client.clusters.create(CLUSTER)
        self.assertEqual("Requested", cluster.phase)

        seen = []
        done = client.wait(cluster, timeout=120, on_change=seen.append)
        self.assertTrue(done.succeeded)
        self.assertEqual("converge-cluster", done.workflow)
        self.assertTrue(all(isinstance(op, Operation) for op in seen))
        self.assertEqual(["place", "network", "storage", "control-plane", "workers", "gpu-runtime", "validation", "operational"],
                         [s.name for s in done.steps])
        self.assertTrue(all(s.state == "Succeeded" and s.finished_at >= s.started_at for s in done.steps))

        ready = client.clusters.get("train")
        self.assertEqual("Operational", ready.phase)
        self.assertEqual(16, sum(n["gpus"] for n in ready.status["nodes"]))
        self.assertIn(done.id, [op.id for op in client.operations()])

        now = datetime.now(timezone.utc)
        usage = client.usage((now - timedelta(hours=2)).isoformat(), (now + timedelta(hours=1)).isoformat(), group_by=["cluster", "meter"])
        gpu = [r for r in usage if r.meter == "allocated-gpu-hours" and r.cluster == "train"]
        self.assertEqual(1, len(gpu))
        self.assertFalse(gpu[0].rated)
        self.assertGreater(gpu[0].quantity, 0)
        self.assertEqual("GPU-hour", gpu[0].unit)

        deleting = client.clusters.delete("train")
        self.assertEqual("delete-cluster", deleting.workflow)
        self.assertTrue(client.wait(deleting, timeout=120).succeeded)
        self.assertEqual([], list(client.clusters.list()))

    def test_wait_gives_up_at_its_timeout_and_the_operation_goes_on(self) -> None:
        tenant = new_tenant(self.client, "sdk-big")
        client = admin(tenant)
        too_big = dict(CLUSTER, metadata={"name": "big"}, spec=dict(CLUSTER["spec"], pools=[{"name": "gpu", "sku": "hgx-h100-8", "count": 64}]))
        cluster = client.clusters.create(too_big)
        with self.assertRaises(OperationTimeout) as waited:
            client.wait(cluster, timeout=1.0)
        self.assertEqual("place", waited.exception.operation.current_step)
        self.assertFalse(waited.exception.operation.finished)
        client.wait(client.clusters.delete("big"), timeout=120)


class IdentityTests(unittest.TestCase):
    def test_a_service_account_signs_in_with_client_credentials(self) -> None:
        operator = admin()
        tenant = new_tenant(operator, "sdk-sa")
        account = operator.request("POST", f"realms/{tenant}/service-accounts", {"name": "ci"})
        operator.request("POST", f"realms/{tenant}/role-bindings",
                         {"name": "ci-member", "subject": {"kind": "ServiceAccount", "name": "ci"}, "role": "member"})
        robot = Client.with_client_credentials(operator.base_url, tenant, "ci", account["clientSecret"])
        me = robot.whoami()
        self.assertEqual("ci", me.name)
        self.assertEqual(tenant, me.tenant)
        self.assertEqual(["member"], me.roles)
        self.assertEqual([], list(robot.volumes.list()))

    def test_a_person_signs_in_with_a_password(self) -> None:
        operator = admin()
        tenant = new_tenant(operator, "sdk-pw")
        operator.request("POST", f"realms/{tenant}/users", {"name": "ada", "password": "a long passphrase here"})
        operator.request("POST", f"realms/{tenant}/role-bindings",
                         {"name": "ada-viewer", "subject": {"kind": "User", "name": "ada"}, "role": "viewer"})
        person = Client.with_password(operator.base_url, tenant, "ada", "a long passphrase here")
        self.assertEqual("ada", person.whoami().name)
        self.assertEqual(["research"], [p.name for p in person.projects.list()])


if __name__ == "__main__":
    unittest.main()
