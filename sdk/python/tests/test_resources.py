"""Collections: listing page by page, reading, creating, applying, deleting; errors carry the problem document."""
import unittest
from decimal import Decimal

from dflare import ConflictError, NotFoundError, Resource, UnauthorizedError, ValidationError, Client

from .support import admin, new_tenant

VOLUME = {"kind": "Volume", "metadata": {"name": "datasets", "labels": {"team": "llm"}},
          "spec": {"project": "research", "backend": "sim-lustre", "sizeBytes": 1 << 30}}


class ResourceTests(unittest.TestCase):
    def setUp(self) -> None:
        self.client = admin()

    def test_lists_follow_every_page(self) -> None:
        before = self.client.requests_sent
        nodes = list(self.client.nodes.list(page_size=5))
        self.assertEqual(16, len(nodes))
        self.assertEqual(16, len({n.name for n in nodes}))
        self.assertEqual(4, self.client.requests_sent - before)  # 5 + 5 + 5 + 1
        self.assertTrue(all(isinstance(n, Resource) and n.kind == "Node" for n in nodes))
        self.assertEqual(8, len(nodes[0].status["gpus"]))
        self.assertIsNotNone(nodes[0].metadata.creation_timestamp)

    def test_create_get_apply_and_delete_a_volume(self) -> None:
        tenant = new_tenant(self.client, "sdk-vol")
        volumes = self.client.volumes.in_tenant(tenant)
        created = volumes.create(VOLUME)
        self.assertEqual("datasets", created.name)
        self.assertEqual(tenant, created.metadata.tenant)
        self.assertEqual({"team": "llm"}, created.metadata.labels)
        self.assertEqual(["datasets"], [v.name for v in volumes.list(label_selector="team=llm")])
        self.assertEqual([], list(volumes.list(label_selector="team=other")))

        grown = dict(VOLUME, spec=dict(VOLUME["spec"], sizeBytes=2 << 30))
        applied = volumes.apply(grown)
        self.assertEqual(2 << 30, applied.spec["sizeBytes"])
        self.assertNotEqual(created.metadata.resource_version, applied.metadata.resource_version)
        self.assertEqual(2 << 30, volumes.get("datasets").spec["sizeBytes"])

        self.assertIsNone(volumes.delete("datasets"))
        with self.assertRaises(NotFoundError):
            volumes.get("datasets")

    def test_yaml_text_is_sent_as_it_is(self) -> None:
        tenant = new_tenant(self.client, "sdk-yaml")
        created = self.client.volumes.in_tenant(tenant).create(
            "kind: Volume\nmetadata: { name: from-yaml }\nspec: { project: research, backend: sim-lustre, sizeBytes: 1073741824 }\n")
        self.assertEqual("from-yaml", created.name)

    def test_refusals_raise_the_problem_document(self) -> None:
        tenant = new_tenant(self.client, "sdk-err")
        clusters = self.client.clusters.in_tenant(tenant)
        with self.assertRaises(NotFoundError) as missing:
            clusters.get("nope")
        self.assertEqual("not-found", missing.exception.code)
        self.assertEqual(404, missing.exception.status)

        with self.assertRaises(ValidationError) as invalid:
            clusters.create({"metadata": {"name": "bad"}, "spec": {"project": "research", "type": "slurm",
                                                                   "pools": [{"name": "gpu", "sku": "hgx-h100-8", "count": 0}]}})
        self.assertEqual("validation-failed", invalid.exception.code)
        self.assertEqual("spec.pools[0].count", invalid.exception.problem.errors[0].field)
        self.assertEqual("out-of-range", invalid.exception.problem.errors[0].code)

        with self.assertRaises(ValidationError) as unknown:
            clusters.create({"metadata": {"name": "typo"}, "spec": {"project": "research", "typ": "slurm"}})
        self.assertEqual("unknown-field", unknown.exception.code)

        self.client.volumes.in_tenant(tenant).create(VOLUME)
        with self.assertRaises(ConflictError) as exists:
            self.client.volumes.in_tenant(tenant).create(VOLUME)
        self.assertEqual("already-exists", exists.exception.code)
        self.assertTrue(exists.exception.problem.correlation_id)

        with self.assertRaises(UnauthorizedError) as refused:
            list(Client(self.client.base_url, token="dfl_not_a_credential").nodes.list())
        self.assertEqual(401, refused.exception.status)
        self.assertEqual("unauthenticated", refused.exception.code)

    def test_a_collection_of_a_tenant_needs_one(self) -> None:
        with self.assertRaises(ValueError):
            list(self.client.clusters.list())

    def test_idempotency_key_makes_a_retried_create_answer_the_first_answer(self) -> None:
        tenant = new_tenant(self.client, "sdk-idem")
        volumes = self.client.volumes.in_tenant(tenant)
        first = volumes.create(VOLUME, idempotency_key="once-only")
        again = volumes.create(VOLUME, idempotency_key="once-only")
        self.assertEqual(first.metadata.uid, again.metadata.uid)
        self.assertEqual(Decimal(1), Decimal(len(list(volumes.list()))))


if __name__ == "__main__":
    unittest.main()
