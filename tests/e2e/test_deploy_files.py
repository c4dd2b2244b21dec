"""The deployment files say only what the processes understand: every
EDGE_* variable in deploy/ is one the README's configuration table documents,
the Kubernetes manifest parses, each Deployment runs one of our binaries with
resource requests, probes and a termination grace period, metrics ports are
announced for scraping, and the workers have a PodDisruptionBudget."""
import glob
import os
import re
import unittest

import yaml

REPO = os.path.join(os.path.dirname(__file__), "..", "..")


def documented_variables():
    with open(os.path.join(REPO, "README.md")) as f:
        return set(re.findall(r"^\| `(EDGE_[A-Z0-9_]+)`", f.read(), re.M))


class DeployFiles(unittest.TestCase):
    def test_every_variable_in_deploy_is_documented(self):
        known = documented_variables()
        self.assertGreater(len(known), 30)
        for path in glob.glob(os.path.join(REPO, "deploy", "**", "*"), recursive=True):
            if os.path.isfile(path):
                with open(path) as f:
                    used = set(re.findall(r"\b(EDGE_[A-Z0-9_]+)", f.read()))
                with self.subTest(path=os.path.relpath(path, REPO)):
                    self.assertEqual(used - known, set())

    def test_kubernetes_manifest(self):
        with open(os.path.join(REPO, "deploy", "k8s", "rockit-edge.yaml")) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
        self.assertEqual(set(deployments),
                         {"edge-broker", "edge-gateway", "edge-worker", "edge-notifier"})
        for name, dep in deployments.items():
            with self.subTest(deployment=name):
                spec = dep["spec"]["template"]["spec"]
                (container,) = spec["containers"]
                self.assertEqual(container["command"], [name])
                self.assertIn("requests", container["resources"])
                self.assertIn("livenessProbe", container)
                self.assertGreater(spec["terminationGracePeriodSeconds"], 0)
                notes = dep["spec"]["template"]["metadata"]["annotations"]
                self.assertEqual(notes["prometheus.io/scrape"], "true")
                ports = {p["containerPort"] for p in container["ports"]}
                self.assertIn(int(notes["prometheus.io/port"]), ports)
        config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
        self.assertTrue(config["EDGE_REDIS_URL"].startswith("redis-sentinel://"))
        # no shared disk: an S3 depot, and only pod-local volumes
        self.assertTrue(config["EDGE_STORE"].startswith("s3://"))
        self.assertEqual([d for d in docs if d["kind"] == "PersistentVolumeClaim"], [])
        for name, dep in deployments.items():
            for volume in dep["spec"]["template"]["spec"].get("volumes", []):
                self.assertIn("emptyDir", volume, (name, volume))
        pdbs = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
        self.assertEqual([p["spec"]["selector"]["matchLabels"]["app"] for p in pdbs],
                         ["edge-worker"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
