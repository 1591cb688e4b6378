"""Kafka security settings: validation, masking of the password, the pass-through client options, the factory's
arguments per client type (no broker needed)."""
import json

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from typer.testing import CliRunner

from newsgen.config import KAFKA_CLIENT_OPTIONS, KAFKA_RESERVED_OPTIONS, env_names, load_settings
from newsgen.errors import ConfigError
from workers import kafka_clients

SASL = {"security_protocol": "SASL_SSL", "username": "newsgen", "password": "s3cret-pw"}


@pytest.fixture
def ca_file(tmp_path):
    path = tmp_path / "ca.crt"
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    return path


def test_defaults_are_plaintext_and_env_names_are_nested():
    k = load_settings().kafka
    assert (k.security_protocol, k.sasl_mechanism, k.username, k.password, k.options) == \
        ("PLAINTEXT", "SCRAM-SHA-512", None, None, {})
    assert {"NEWSGEN_KAFKA__SECURITY_PROTOCOL", "NEWSGEN_KAFKA__PASSWORD", "NEWSGEN_KAFKA__OPTIONS"} <= set(env_names())


def test_settings_come_from_the_environment(monkeypatch, ca_file):
    monkeypatch.setenv("NEWSGEN_KAFKA__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("NEWSGEN_KAFKA__SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("NEWSGEN_KAFKA__USERNAME", "svc")
    monkeypatch.setenv("NEWSGEN_KAFKA__PASSWORD", "pw")
    monkeypatch.setenv("NEWSGEN_KAFKA__CA_FILE", str(ca_file))
    monkeypatch.setenv("NEWSGEN_KAFKA__OPTIONS", '{"linger_ms": 20, "request_timeout_ms": 60000}')
    k = load_settings().kafka
    assert (k.security_protocol, k.sasl_mechanism, k.username, k.password.get_secret_value()) == \
        ("SASL_SSL", "PLAIN", "svc", "pw")
    assert k.ca_file == ca_file and k.options == {"linger_ms": 20, "request_timeout_ms": 60000}


@pytest.mark.parametrize("kafka, message", [
    ({"security_protocol": "TLS"}, "security_protocol"),
    ({**SASL, "sasl_mechanism": "GSSAPI"}, "sasl_mechanism"),
    ({"security_protocol": "SASL_SSL"}, "needs kafka.username and kafka.password"),
    ({"security_protocol": "SASL_PLAINTEXT", "username": "u", "password": ""}, "needs kafka.username"),
    ({"username": "u", "password": "p"}, "security_protocol is PLAINTEXT"),
    ({"security_protocol": "SASL_PLAINTEXT", "username": "u", "password": "p", "ca_file": "/etc/hostname"},
     "TLS files are set"),
    ({"security_protocol": "SSL", "ca_file": "/no/such/ca.pem"}, "kafka.ca_file /no/such/ca.pem is not a readable"),
    ({"security_protocol": "SSL", "key_file": "/etc/hostname"}, "kafka.key_file needs kafka.cert_file"),
    ({"options": {"linger": 5}}, "unknown kafka client option 'linger' (did you mean 'linger_ms'?)"),
    ({"options": {"no_such_option": 1}}, "unknown kafka client option 'no_such_option'"),
    ({"options": {"sasl_plain_password": "x"}}, "use the setting kafka.password"),
    ({"options": {"bootstrap_servers": "x:1"}}, "use the setting kafka_bootstrap"),
    ({"options": {"enable_auto_commit": True}}, "newsgen sets it for its delivery guarantees"),
    ({"options": {"acks": 1}}, "newsgen sets it for its delivery guarantees"),
    ({"options": {"linger_ms": {"a": 1}}}, "must be a plain value"),
])
def test_invalid_kafka_settings_are_refused_with_the_reason(kafka, message):
    with pytest.raises(ConfigError) as err:
        load_settings(kafka=kafka)
    assert message in str(err.value)


def test_invalid_option_from_the_environment_is_a_config_error_exit_2(monkeypatch):
    from newsgen.cli import app

    monkeypatch.setenv("NEWSGEN_KAFKA__OPTIONS", '{"fetch_max_byte": 1}')
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 2
    assert "unknown kafka client option 'fetch_max_byte' (did you mean 'fetch_max_bytes'?)" in " ".join(result.output.split())


def test_password_is_masked_everywhere_it_is_shown(tmp_path):
    s = load_settings(kafka={**SASL, "key_password": "key-pw"})
    shown = json.dumps(s.public_dict())
    assert "s3cret-pw" not in shown and "key-pw" not in shown
    assert s.public_dict()["kafka"]["password"] == "**********"
    assert s.public_dict()["kafka"]["key_password"] == "**********"
    assert "s3cret-pw" not in repr(s) and "s3cret-pw" not in str(s.kafka)
    assert s.kafka.password.get_secret_value() == "s3cret-pw"


def test_config_command_masks_the_password(monkeypatch):
    from newsgen.cli import app

    for k, v in {"NEWSGEN_KAFKA__SECURITY_PROTOCOL": "SASL_PLAINTEXT", "NEWSGEN_KAFKA__USERNAME": "u",
                 "NEWSGEN_KAFKA__PASSWORD": "hunter2-pw"}.items():
        monkeypatch.setenv(k, v)
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "hunter2-pw" not in result.output
    assert json.loads(result.output)["kafka"]["password"] == "**********"


def test_the_option_lists_match_kafka_python():
    known = set(KafkaProducer.DEFAULT_CONFIG) | set(KafkaConsumer.DEFAULT_CONFIG) | set(KafkaAdminClient.DEFAULT_CONFIG)
    assert KAFKA_CLIENT_OPTIONS <= known, sorted(KAFKA_CLIENT_OPTIONS - known)
    assert set(KAFKA_RESERVED_OPTIONS) <= known, sorted(set(KAFKA_RESERVED_OPTIONS) - known)
    assert not KAFKA_CLIENT_OPTIONS & set(KAFKA_RESERVED_OPTIONS)


def test_factory_arguments_per_client_type(ca_file, tmp_path):
    cert, key = tmp_path / "client.crt", tmp_path / "client.key"
    cert.write_text("cert")
    key.write_text("key")
    s = load_settings(kafka_bootstrap="broker-1:9094,broker-2:9094",
                      kafka={**SASL, "ca_file": ca_file, "cert_file": cert, "key_file": key, "check_hostname": False,
                             "options": {"linger_ms": 7, "max_poll_records": 10, "request_timeout_ms": 45000,
                                         "api_version": [3, 9]}})
    producer = kafka_clients.client_config(s, KafkaProducer, acks="all", linger_ms=5)
    assert producer == {"acks": "all", "linger_ms": 7, "request_timeout_ms": 45000, "api_version": (3, 9),
                        "bootstrap_servers": "broker-1:9094,broker-2:9094", "security_protocol": "SASL_SSL",
                        "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "newsgen",
                        "sasl_plain_password": "s3cret-pw", "ssl_check_hostname": False,
                        "ssl_cafile": str(ca_file), "ssl_certfile": str(cert), "ssl_keyfile": str(key),
                        "ssl_password": None}
    consumer = kafka_clients.client_config(s, KafkaConsumer, group_id="g")
    assert consumer["max_poll_records"] == 10 and "linger_ms" not in consumer and consumer["group_id"] == "g"
    admin = kafka_clients.client_config(s, KafkaAdminClient)
    assert "max_poll_records" not in admin and "linger_ms" not in admin and admin["request_timeout_ms"] == 45000


def test_plaintext_passes_no_security_arguments():
    conf = kafka_clients.client_config(load_settings(), KafkaProducer)
    assert conf == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT"}


def test_errors_are_described_in_one_line_without_repeats():
    from kafka.errors import KafkaConnectionError, SaslAuthenticationFailedError

    assert kafka_clients.describe(SaslAuthenticationFailedError("SaslAuthenticationFailedError: bad\ncredentials")) \
        == "SaslAuthenticationFailedError: bad credentials"
    assert kafka_clients.describe(KafkaConnectionError("Handshake failed: x")) == \
        "KafkaConnectionError: Handshake failed: x"


def test_blank_values_mean_unset(monkeypatch):
    """A Secret or compose variable left blank (the manifests' defaults) is no setting, not an empty path."""
    for name in ("USERNAME", "PASSWORD", "CA_FILE", "CERT_FILE", "KEY_FILE", "KEY_PASSWORD"):
        monkeypatch.setenv(f"NEWSGEN_KAFKA__{name}", "")
    k = load_settings().kafka
    assert (k.username, k.password, k.ca_file, k.cert_file, k.key_file, k.key_password) == (None,) * 6


def test_kafka_python_debug_log_of_the_admin_configuration_masks_secrets(caplog):
    import logging

    with caplog.at_level(logging.DEBUG, logger="kafka.admin.client"):
        logging.getLogger("kafka.admin.client").debug("Starting KafkaAdminClient with configuration: %s",
                                                      {"sasl_plain_password": "s3cret-pw", "ssl_password": None,
                                                       "sasl_plain_username": "newsgen"})
    assert "s3cret-pw" not in caplog.text and "**********" in caplog.text and "newsgen" in caplog.text


def test_a_close_during_sasl_authentication_is_reported_as_a_refused_login():
    """kafka-python often sees the broker's close before its SaslAuthenticate answer: the cause says what it is."""
    import logging

    from kafka.errors import KafkaConnectionError, SaslAuthenticationFailedError

    class SaslAuthenticateRequest:  # stands for kafka-python's request object (only its type name is read)
        pass

    def record(name, msg, *args):
        return logging.LogRecord(name, logging.DEBUG, __file__, 1, msg, args, None)

    causes = kafka_clients._Causes("SCRAM-SHA-512")
    causes.emit(record("kafka.net.manager", "Bootstrap connection to %s failed: %s (backoff %.2f secs)",
                       "bootstrap-0", KafkaConnectionError("socket disconnected"), 0.1))
    assert not causes.final and causes.cause == "KafkaConnectionError: socket disconnected"
    causes.emit(record("kafka.net.connection", "%s Request %d: %s", "conn", 4, SaslAuthenticateRequest()))
    causes.emit(record("kafka.net.manager", "Bootstrap connection to %s failed: %s (backoff %.2f secs)",
                       "bootstrap-0", KafkaConnectionError("socket disconnected"), 0.1))
    assert causes.final and causes.cause == ("the broker closed the connection during SASL SCRAM-SHA-512 "
                                             "authentication (wrong username or password?)")

    answered = kafka_clients._Causes("PLAIN")
    answered.emit(record("kafka.net.manager", "Bootstrap connection to %s failed: %s (backoff %.2f secs)",
                         "bootstrap-0", SaslAuthenticationFailedError("invalid credentials"), 0.1))
    assert answered.final and answered.cause == "SaslAuthenticationFailedError: invalid credentials"
