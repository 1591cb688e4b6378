"""Kafka security in the manifests: KEDA's kafka trigger authenticates with the credentials newsgen reads (one
Secret), its SASL/TLS modes agree with the settings, and compose passes the security settings through."""
import re

import pytest

#: what KEDA's kafka scaler takes from a TriggerAuthentication
KEDA_KAFKA_PARAMETERS = {"sasl", "username", "password", "tls", "ca", "cert", "key", "keyPassword", "unsafeSsl"}


@pytest.fixture(scope="module")
def k8s(load_yaml) -> dict[tuple[str, str], dict]:
    [kustomization] = load_yaml("k8s/kustomization.yaml")
    return {(d["kind"], d["metadata"]["name"]): d for name in kustomization["resources"]
            for d in load_yaml(f"k8s/{name}")}


def keda_modes(protocol: str, mechanism: str) -> tuple[str, str]:
    """The KEDA ``sasl`` and ``tls`` values for newsgen's security protocol and SASL mechanism."""
    sasl = {"PLAIN": "plaintext", "SCRAM-SHA-256": "scram_sha256", "SCRAM-SHA-512": "scram_sha512"}[mechanism] \
        if protocol.startswith("SASL_") else "none"
    return sasl, "enable" if protocol.endswith("SSL") else "disable"


def test_the_kafka_trigger_authenticates_from_the_secret_newsgen_reads(k8s, is_setting, settings_from_env):
    so = k8s[("ScaledObject", "newsgen-bridge")]
    [trigger] = so["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    auth = k8s[("TriggerAuthentication", trigger["authenticationRef"]["name"])]
    refs = {r["parameter"]: r for r in auth["spec"]["secretTargetRef"]}
    assert set(refs) <= KEDA_KAFKA_PARAMETERS and {"sasl", "username", "password", "tls"} <= set(refs)
    secrets = {name: d["stringData"] for (kind, name), d in k8s.items() if kind == "Secret"}
    for ref in refs.values():
        assert ref["key"] in secrets[ref["name"]], ref
    # the same keys newsgen's pods read as settings (envFrom newsgen-secrets), not a copy that can drift
    assert refs["username"]["key"] == "NEWSGEN_KAFKA__USERNAME" and refs["password"]["key"] == "NEWSGEN_KAFKA__PASSWORD"
    assert is_setting(refs["username"]["key"]) and is_setting(refs["password"]["key"])
    for deployment in ("newsgen-bridge", "newsgen-worker", "newsgen-desk"):
        [c] = k8s[("Deployment", deployment)]["spec"]["template"]["spec"]["containers"]
        assert {"secretRef": {"name": refs["password"]["name"]}} in c["envFrom"], deployment

    cm = k8s[("ConfigMap", "newsgen-settings")]["data"]
    secret = secrets[refs["sasl"]["name"]]
    s = settings_from_env({**cm, **{k: v for k, v in secret.items() if k.startswith("NEWSGEN_")}})
    assert keda_modes(s.kafka.security_protocol, s.kafka.sasl_mechanism) == (secret[refs["sasl"]["key"]],
                                                                             secret[refs["tls"]["key"]])
    assert trigger["metadata"]["bootstrapServers"] == cm["NEWSGEN_KAFKA_BOOTSTRAP"]


def test_the_secret_holds_no_password_value(k8s):
    secret = k8s[("Secret", "newsgen-secrets")]["stringData"]
    assert secret["NEWSGEN_KAFKA__PASSWORD"] == "" and secret["KAFKA_CA"] == ""


def test_keda_modes():
    assert keda_modes("SASL_SSL", "SCRAM-SHA-512") == ("scram_sha512", "enable")
    assert keda_modes("SASL_PLAINTEXT", "PLAIN") == ("plaintext", "disable")
    assert keda_modes("SSL", "SCRAM-SHA-512") == ("none", "enable")


def test_compose_passes_the_kafka_security_settings(load_yaml, is_setting):
    [compose] = load_yaml("compose.yaml")
    env = compose["x-newsgen-env"]
    names = [k for k in env if k.startswith("NEWSGEN_KAFKA__")]
    assert {"NEWSGEN_KAFKA__SECURITY_PROTOCOL", "NEWSGEN_KAFKA__USERNAME", "NEWSGEN_KAFKA__PASSWORD"} <= set(names)
    assert all(is_setting(n) for n in names)
    # credentials come from the shell or ops/.env, with no value written in the file
    assert re.fullmatch(r"\$\{NEWSGEN_KAFKA__PASSWORD:-\}", env["NEWSGEN_KAFKA__PASSWORD"])
