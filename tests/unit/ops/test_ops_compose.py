"""ops/compose.yaml: the services and variables the README's Operations section names, wired as described
(KRaft Kafka, Redis with AOF, GPU worker behind a profile, drain grace periods, volumes)."""
import re

import pytest

from newsgen.config import ROOT

SERVICES = {"kafka", "rabbitmq", "redis", "bridge", "worker", "worker-gpu", "desk", "flower", "prometheus", "grafana", "tools"}
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::-(?P<default>[^}]*))?\}")


@pytest.fixture(scope="module")
def compose(load_yaml) -> dict:
    [doc] = load_yaml("compose.yaml")
    return doc


def resolved_env(service: dict) -> dict[str, str]:
    """A service's environment with ``${VAR:-default}`` replaced by the default, as with an empty shell."""
    return {k: INTERPOLATION.sub(lambda m: m["default"] or "", str(v)) for k, v in service["environment"].items()}


def operations_sections() -> list[tuple[str, str]]:
    """README.md's Operations section."""
    m = re.search(r"^## Operations\n(.*?)(?=^## |\Z)", (ROOT / "README.md").read_text(encoding="utf-8"), re.M | re.S)
    assert m, "README.md has no '## Operations' section"
    return [("README.md", m.group(1))]


def subsection(text: str, title: str) -> str:
    m = re.search(rf"^### {re.escape(title)}\n(.*?)(?=^##|\Z)", text, re.M | re.S)
    assert m, f"no '### {title}' section"
    return m.group(1)


def test_compose_has_the_services_of_the_stack(compose):
    assert set(compose["services"]) == SERVICES
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:")
    assert compose["services"]["flower"]["image"].startswith("mher/flower:")
    assert compose["services"]["prometheus"]["image"].startswith("prom/prometheus:")


def test_kafka_runs_kraft_with_a_data_volume(compose):
    kafka = compose["services"]["kafka"]
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert env["CLUSTER_ID"] and "kafka-data:/var/lib/kafka/data" in kafka["volumes"]
    assert env["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    # the image turns every KAFKA_* variable into a broker property: the heap variable is not one
    assert "KAFKA_HEAP_OPTS" not in env


def test_redis_persists_with_an_append_only_file(compose):
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "redis-data:/data" in redis["volumes"]


def test_newsgen_services_read_only_real_settings(compose, is_setting, settings_from_env):
    for name in ("bridge", "worker", "worker-gpu", "tools", "desk"):
        env = resolved_env(compose["services"][name])
        unknown = [k for k in env if not is_setting(k)]
        assert not unknown, f"{name}: {unknown} are not newsgen settings (NEWSGEN_<FIELD>, nested with __)"
        s = settings_from_env(env)
        assert s.kafka_bootstrap == "kafka:9092" and s.redis_url == "redis://redis:6379/0"
        assert s.bridge_port == 9101 and s.worker_port == 9102
        assert s.metrics_host == "0.0.0.0"  # Prometheus scrapes from another container


def test_gpu_worker_is_a_profile_with_an_nvidia_gpu(compose):
    gpu = compose["services"]["worker-gpu"]
    assert gpu["profiles"] == ["gpu"]
    assert gpu["build"]["dockerfile"] == "ops/docker/worker-gpu.Dockerfile"
    [device] = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"] and device["count"] == 1
    assert resolved_env(gpu)["NEWSGEN_DEVICE"] == "cuda"
    assert resolved_env(compose["services"]["worker"])["NEWSGEN_DEVICE"] == "cpu"


def test_workers_get_the_models_volume_read_only_and_time_to_drain(compose):
    visibility = int(resolved_env(compose["services"]["worker"])["NEWSGEN_VISIBILITY_TIMEOUT_S"])
    for name in ("worker", "worker-gpu"):
        svc = compose["services"][name]
        assert "models:/models:ro" in svc["volumes"]
        assert svc["command"][:2] == ["newsgen", "worker"]
        grace = int(svc["stop_grace_period"].rstrip("s"))
        # warm shutdown finishes the batch in hand; Redis must not redeliver a task still being drained
        assert 120 <= grace < visibility
    assert "models:/models" in compose["services"]["tools"]["volumes"]
    assert compose["services"]["bridge"]["command"] == ["newsgen", "bridge"]
    assert set(compose["volumes"]) >= {"kafka-data", "redis-data", "models", "prometheus-data"}


def test_health_checks_ask_each_process_its_own_port(compose):
    # liveness, not readiness: a Redis or Kafka outage must not mark the processes for a restart
    for svc, port in (("bridge", 9101), ("worker", 9102), ("worker-gpu", 9102)):
        check = " ".join(compose["services"][svc]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/livez" in check, svc
    for name in ("kafka", "redis"):
        assert compose["services"][name]["healthcheck"]["test"]
        for svc in ("bridge", "worker", "worker-gpu"):
            assert compose["services"][svc]["depends_on"][name] == {"condition": "service_healthy"}


def test_files_the_compose_file_mounts_or_builds_exist(compose, ops_dir):
    for svc in compose["services"].values():
        if "build" in svc:
            assert (ops_dir / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ops_dir / source).exists(), source


@pytest.mark.parametrize("doc,text", operations_sections())
def test_operations_section_names_only_real_services_and_settings(doc, text, compose, is_setting):
    named = set(re.findall(r"\bNEWSGEN_[A-Z0-9_]+", text))
    assert named and not [n for n in named if not is_setting(n)], f"{doc} names unknown settings"
    section = subsection(text, "Docker Compose")
    compose_text = (ROOT / "ops" / "compose.yaml").read_text(encoding="utf-8")
    missing = [n for n in set(re.findall(r"\bNEWSGEN_[A-Z0-9_]+", section)) if n not in compose_text]
    assert not missing, f"{doc} says compose reads {missing}"
    services = {s for s in re.findall(r"`([a-z][a-z-]*)`", section) if s in SERVICES or s.startswith("worker")}
    assert services == SERVICES, f"{doc} and ops/compose.yaml disagree on the services"


def test_tools_profile_can_write_the_models_volume_as_the_image_user(compose):
    """The workers read /models as uid 10001; `tools model export` must write there, also into a volume
    created root-owned: it chowns the mount point as root, then runs newsgen as 10001 (never as root)."""
    tools = compose["services"]["tools"]
    assert tools["profiles"] == ["tools"] and "models:/models" in tools["volumes"]
    assert str(tools["user"]).split(":")[0] == "0"
    shell, flag, script, argv0 = tools["entrypoint"]
    assert (shell, flag, argv0) == ("sh", "-c", "newsgen")
    chown, _, run = script.partition("&&")
    assert chown.split() == ["chown", "10001:10001", "/models"]
    assert "exec setpriv --reuid=10001 --regid=10001 --clear-groups newsgen" in run
    assert '"$$@"' in run  # compose turns $$ into $: the service's command reaches newsgen
    assert tools["command"] == ["--help"]


def test_flower_watches_the_broker_newsgen_uses(compose):
    flower = compose["services"]["flower"]
    assert not any(str(a).startswith("--broker") for a in flower["command"])
    worker = resolved_env(compose["services"]["worker"])
    assert worker["NEWSGEN_BROKER"] == "rabbitmq"
    assert INTERPOLATION.sub(lambda m: m["default"] or "", flower["environment"]["CELERY_BROKER_URL"]) == \
        worker["NEWSGEN_AMQP_URL"]


def test_the_desk_runs_from_the_image_with_editors_from_the_environment(compose, settings_from_env):
    desk = compose["services"]["desk"]
    assert desk["command"] == ["newsgen", "desk"]
    assert desk["image"] == compose["services"]["bridge"]["image"]
    env = resolved_env(desk)
    assert env["NEWSGEN_DESK_EDITORS"] == ""  # nothing secret in the file: ops/.env or the shell sets it
    s = settings_from_env(env)
    assert s.desk_host == "0.0.0.0" and "*" not in s.desk_allowed_hosts
    assert desk["ports"] == [f"127.0.0.1:{s.desk_port}:{s.desk_port}"]
    assert f"http://127.0.0.1:{s.desk_port}/healthz" in " ".join(desk["healthcheck"]["test"])
    assert desk["depends_on"]["kafka"] == {"condition": "service_healthy"}
