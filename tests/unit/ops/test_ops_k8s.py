"""ops/k8s: the kinds a deployment needs, probes on the health endpoints, GPU requests, KEDA triggers that
read the same topic, group and queue as newsgen, and drain timing consistent with Redis redelivery."""
import re
import shutil
import subprocess

import pytest

from newsgen.config import ROOT

EXPECTED_KINDS = {
    ("v1", "Namespace"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "PersistentVolumeClaim"),
    ("apps/v1", "Deployment"), ("policy/v1", "PodDisruptionBudget"),
    ("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication"), ("v1", "Service"),
    ("apps/v1", "StatefulSet"),
}
PORTS = {"newsgen-bridge": 9101, "newsgen-worker": 9102}
#: Deployments of the newsgen images (the pipeline's plus the desk); Flower runs its own image
NEWSGEN_DEPLOYMENTS = {*PORTS, "newsgen-desk"}


@pytest.fixture(scope="module")
def manifests(load_yaml, ops_dir) -> list[dict]:
    [kustomization] = load_yaml("k8s/kustomization.yaml")
    files = sorted(p.name for p in (ops_dir / "k8s").glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(kustomization["resources"]) == files, "every manifest is listed in kustomization.yaml"
    return [doc for name in kustomization["resources"] for doc in load_yaml(f"k8s/{name}")]


def by_kind(manifests, kind) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def container(deployment: dict) -> dict:
    [c] = deployment["spec"]["template"]["spec"]["containers"]
    return c


def settings_env(manifests) -> dict[str, str]:
    [cm] = by_kind(manifests, "ConfigMap").values()
    secret = by_kind(manifests, "Secret")["newsgen-secrets"]
    return {**cm["data"], **{k: v for k, v in secret["stringData"].items() if k.startswith("NEWSGEN_")}}


def test_manifests_have_the_expected_kinds(manifests):
    assert {(m["apiVersion"], m["kind"]) for m in manifests} == EXPECTED_KINDS
    assert set(by_kind(manifests, "Deployment")) == NEWSGEN_DEPLOYMENTS | {"newsgen-flower"}
    assert set(by_kind(manifests, "Service")) == {"newsgen-desk", "newsgen-flower", "rabbitmq"}
    assert set(by_kind(manifests, "StatefulSet")) == {"rabbitmq"}
    assert set(by_kind(manifests, "ScaledObject")) == set(PORTS)
    assert set(by_kind(manifests, "PodDisruptionBudget")) == set(PORTS)
    for m in manifests:
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", m["metadata"]["name"])


def test_configmap_and_secret_hold_real_settings(manifests, is_setting, settings_from_env):
    env = settings_env(manifests)
    assert not [k for k in env if not is_setting(k)]
    s = settings_from_env(env)
    assert s.bridge_port == PORTS["newsgen-bridge"] and s.worker_port == PORTS["newsgen-worker"]
    assert s.metrics_host == "0.0.0.0"  # the kubelet's probes and Prometheus reach the pod's address
    assert s.model.startswith("/models/")
    for name, d in by_kind(manifests, "Deployment").items():
        if name not in NEWSGEN_DEPLOYMENTS:
            continue
        refs = [next(iter(r.values()))["name"] for r in container(d)["envFrom"]]
        assert refs == ["newsgen-settings", "newsgen-secrets"]
        assert all(is_setting(e["name"]) or e["name"] == "POD_NAME" for e in container(d).get("env", []))


def test_deployments_probe_liveness_apart_from_readiness_and_expose_metrics(manifests):
    """Liveness and startup ask /livez (the process and its loop), readiness /readyz (Redis, Kafka, the model):
    a Redis outage takes pods out of service and never restarts them (issue 14)."""
    for name, d in by_kind(manifests, "Deployment").items():
        if name not in PORTS:
            continue
        c = container(d)
        [port] = c["ports"]
        assert port == {"name": "metrics", "containerPort": PORTS[name]}
        for probe, path in (("startupProbe", "/livez"), ("readinessProbe", "/readyz"), ("livenessProbe", "/livez")):
            assert c[probe]["httpGet"] == {"path": path, "port": "metrics"}, (name, probe)
        annotations = d["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(PORTS[name])
        assert d["spec"]["selector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items()
        assert c["resources"]["requests"]["cpu"] and c["resources"]["requests"]["memory"]
        assert c["resources"]["limits"]["memory"]


def test_pods_run_as_the_images_non_root_user(manifests, ops_dir):
    users = {re.search(r"^USER (\d+)", (ops_dir / "docker" / f).read_text(), re.M).group(1)
             for f in ("worker.Dockerfile", "worker-gpu.Dockerfile")}
    for name, d in by_kind(manifests, "Deployment").items():
        if name not in NEWSGEN_DEPLOYMENTS:
            continue
        pod = d["spec"]["template"]["spec"]["securityContext"]
        assert pod["runAsNonRoot"] is True and {str(pod["runAsUser"])} == users
        assert container(d)["securityContext"]["allowPrivilegeEscalation"] is False


def test_workers_request_a_gpu_and_the_bridge_does_not(manifests):
    deployments = by_kind(manifests, "Deployment")
    worker = container(deployments["newsgen-worker"])
    assert worker["resources"]["requests"]["nvidia.com/gpu"] == worker["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert worker["image"] == "newsgen-gpu" and worker["command"][:2] == ["newsgen", "worker"]
    assert {"name": "NEWSGEN_DEVICE", "value": "cuda"} in worker["env"]
    bridge = container(deployments["newsgen-bridge"])
    assert "nvidia.com/gpu" not in str(bridge["resources"])
    assert bridge["image"] == "newsgen-cpu" and bridge["command"] == ["newsgen", "bridge"]
    mounts = {m["name"]: m for m in worker["volumeMounts"]}
    assert mounts["models"] == {"name": "models", "mountPath": "/models", "readOnly": True}
    [volume] = deployments["newsgen-worker"]["spec"]["template"]["spec"]["volumes"]
    assert volume["persistentVolumeClaim"]["claimName"] in by_kind(manifests, "PersistentVolumeClaim")


def test_worker_drains_within_grace_and_before_redis_redelivers(manifests):
    env = settings_env(manifests)
    worker = by_kind(manifests, "Deployment")["newsgen-worker"]
    grace = worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert 120 <= grace < int(env["NEWSGEN_VISIBILITY_TIMEOUT_S"])
    c = container(worker)
    hostname = c["command"][c["command"].index("--hostname") + 1]
    prestop = " ".join(c["lifecycle"]["preStop"]["exec"]["command"])
    assert "control cancel_consumer" in prestop and '"$NEWSGEN_CELERY_QUEUE"' in prestop
    # the preStop hook names the node the worker was started as
    assert hostname.replace("$(POD_NAME)", "$POD_NAME") in prestop
    strategy = worker["spec"]["strategy"]["rollingUpdate"]
    assert strategy == {"maxSurge": 1, "maxUnavailable": 0}
    bridge = by_kind(manifests, "Deployment")["newsgen-bridge"]
    assert bridge["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 30


def test_disruption_budgets_select_the_deployments(manifests):
    deployments = by_kind(manifests, "Deployment")
    for name, pdb in by_kind(manifests, "PodDisruptionBudget").items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert pdb["spec"]["maxUnavailable"] == 1


def test_keda_scales_the_bridge_on_the_consumer_lag_newsgen_uses(manifests):
    env = settings_env(manifests)
    so = by_kind(manifests, "ScaledObject")["newsgen-bridge"]
    assert so["spec"]["scaleTargetRef"] == {"name": "newsgen-bridge"}
    [trigger] = so["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    assert meta["bootstrapServers"] == env["NEWSGEN_KAFKA_BOOTSTRAP"]
    assert meta["consumerGroup"] == env["NEWSGEN_CONSUMER_GROUP"]
    assert meta["topic"] == env["NEWSGEN_RECORDS_TOPIC"]
    assert int(meta["lagThreshold"]) > 0 and meta["offsetResetPolicy"] == "earliest"
    assert 1 <= so["spec"]["minReplicaCount"] <= so["spec"]["maxReplicaCount"]


def test_keda_scales_workers_on_the_rabbitmq_queue_length(manifests, settings_from_env):
    env = settings_env(manifests)
    s = settings_from_env(env)
    assert s.broker == "rabbitmq"                # the production broker
    so = by_kind(manifests, "ScaledObject")["newsgen-worker"]
    assert so["spec"]["scaleTargetRef"] == {"name": "newsgen-worker"}
    [trigger] = so["spec"]["triggers"]
    assert trigger["type"] == "rabbitmq"
    meta = trigger["metadata"]
    # the quorum queue newsgen declares is named after the setting; QueueLength over AMQP = tasks not taken
    assert meta["queueName"] == s.celery_queue
    assert meta["mode"] == "QueueLength" and meta["protocol"] == "amqp" and int(meta["value"]) > 0
    auth = by_kind(manifests, "TriggerAuthentication")[trigger["authenticationRef"]["name"]]
    [ref] = auth["spec"]["secretTargetRef"]
    secret = by_kind(manifests, "Secret")[ref["name"]]
    # KEDA connects with the very URL newsgen reads, to the RabbitMQ StatefulSet's Service
    assert ref["parameter"] == "host" and ref["key"] == "NEWSGEN_AMQP_URL"
    assert secret["stringData"][ref["key"]] == s.amqp_url
    host = re.fullmatch(r"amqp://[^@]+@([^:/]+):5672/%2F", s.amqp_url).group(1)
    assert host in by_kind(manifests, "Service") and host in by_kind(manifests, "StatefulSet")
    behavior = so["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]
    assert behavior["stabilizationWindowSeconds"] >= 300


def test_keda_trigger_metadata_values_are_strings(manifests):
    # the ScaledObject CRD types trigger metadata as map[string]string: a bare number is rejected
    for so in by_kind(manifests, "ScaledObject").values():
        for trigger in so["spec"]["triggers"]:
            assert all(isinstance(v, str) for v in trigger["metadata"].values()), trigger


def test_kustomize_renders_the_manifests(ops_dir):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl not installed: the kustomization is checked structurally above")
    result = subprocess.run([kubectl, "kustomize", str(ops_dir / "k8s")], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "image: newsgen:gpu" in result.stdout and "namespace: newsgen" in result.stdout


def test_model_export_job_writes_a_new_directory_of_the_models_claim(manifests, load_yaml, ops_dir):
    """ops/k8s/jobs/model-export.yaml (README "Upgrading a model", step 1): outside the kustomization, the
    CPU image as uid 10001, the models claim read-write, `newsgen model export <source> /models/<name>`, and
    the example name is the one the ConfigMap's NEWSGEN_MODEL points at."""
    [job] = load_yaml("k8s/jobs/model-export.yaml")
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    assert "name" not in job["metadata"] and job["metadata"]["generateName"].endswith("-")
    [kustomization] = load_yaml("k8s/kustomization.yaml")
    assert not any("jobs" in r for r in kustomization["resources"])
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
    [c] = pod["containers"]
    cpu = next(i for i in kustomization["images"] if i["name"] == "newsgen-cpu")
    assert c["image"] == f"{cpu['newName']}:{cpu['newTag']}"
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["command"] == ["newsgen"] and c["args"][:4] == ["model", "export", "$(SOURCE)", "/models/$(EXPORT_NAME)"]
    env = {e["name"]: e["value"] for e in c["env"]}
    assert settings_env(manifests)["NEWSGEN_MODEL"] == f"/models/{env['EXPORT_NAME']}"
    assert env["PRECISION"] in ("fp32", "fp16", "int8")
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    assert mounts["models"]["mountPath"] == "/models" and not mounts["models"].get("readOnly")
    claims = {v["name"]: v for v in pod["volumes"]}
    assert claims["models"]["persistentVolumeClaim"]["claimName"] in by_kind(manifests, "PersistentVolumeClaim")


def test_the_health_paths_the_probes_ask_are_served():
    from newsgen.health import LIVE_PATHS, READY_PATHS

    assert "/livez" in LIVE_PATHS and "/readyz" in READY_PATHS and "/healthz" in READY_PATHS


def test_the_desk_runs_with_editors_from_a_secret_behind_a_service(manifests, settings_from_env):
    deployments = by_kind(manifests, "Deployment")
    desk = deployments["newsgen-desk"]
    c = container(desk)
    assert c["image"] == "newsgen-cpu" and c["command"] == ["newsgen", "desk"]
    assert desk["spec"]["replicas"] == 1
    env = {e["name"]: e for e in c["env"]}
    ref = env["NEWSGEN_DESK_EDITORS"]["valueFrom"]["secretKeyRef"]
    secret = by_kind(manifests, "Secret")[ref["name"]]
    assert ref["key"] in secret["stringData"] and ref["name"] != "newsgen-secrets"
    s = settings_from_env({**settings_env(manifests), **{k: e["value"] for k, e in env.items() if "value" in e},
                           "NEWSGEN_DESK_EDITORS": secret["stringData"][ref["key"]]})
    assert s.desk_host == "0.0.0.0" and s.desk_read_token_required is True
    assert "*" not in s.desk_allowed_hosts and "newsgen-desk" in s.desk_allowed_hosts
    from newsgen.desk.guard import Editors

    Editors(s)  # the placeholder table is a valid (empty) one
    [port] = c["ports"]
    assert port["containerPort"] == s.desk_port
    assert c["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    service = by_kind(manifests, "Service")["newsgen-desk"]
    labels = desk["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == port["name"]


def test_flower_watches_newsgens_broker_from_the_secret(manifests):
    flower = by_kind(manifests, "Deployment")["newsgen-flower"]
    c = container(flower)
    assert c["image"].startswith("mher/flower:") and "flower" in c["command"]
    assert not any(a.startswith("--broker=") for a in c["command"])  # no hard-coded broker
    [env] = c["env"]
    assert env["name"] == "CELERY_BROKER_URL"
    assert env["valueFrom"]["secretKeyRef"] == {"name": "newsgen-secrets", "key": "NEWSGEN_AMQP_URL"}
    assert "NEWSGEN_AMQP_URL" in by_kind(manifests, "Secret")["newsgen-secrets"]["stringData"]
    service = by_kind(manifests, "Service")["newsgen-flower"]
    assert service["spec"]["selector"].items() <= flower["spec"]["template"]["metadata"]["labels"].items()


def test_rabbitmq_statefulset_has_a_data_volume_and_the_user_newsgen_logs_in_as(manifests):
    sts = by_kind(manifests, "StatefulSet")["rabbitmq"]
    assert sts["spec"]["serviceName"] == "rabbitmq"
    assert by_kind(manifests, "Service")["rabbitmq"]["spec"]["clusterIP"] == "None"
    c = container(sts)
    assert c["image"].startswith("rabbitmq:3.")
    [claim] = sts["spec"]["volumeClaimTemplates"]
    assert {"name": claim["metadata"]["name"], "mountPath": "/var/lib/rabbitmq"} in c["volumeMounts"]
    secret = by_kind(manifests, "Secret")["newsgen-secrets"]["stringData"]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in c["env"]}
    user, password = secret[env["RABBITMQ_DEFAULT_USER"]], secret[env["RABBITMQ_DEFAULT_PASS"]]
    assert secret["NEWSGEN_AMQP_URL"].startswith(f"amqp://{user}:{password}@rabbitmq:")
    assert c["readinessProbe"] and c["livenessProbe"]
