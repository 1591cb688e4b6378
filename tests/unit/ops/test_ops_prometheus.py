"""ops/prometheus and ops/grafana: promtool accepts the rules, config and rule unit tests; every metric the
alerts and the dashboard query is one newsgen exports; the k8s scrape config finds the annotated pods."""
import json
import re
import subprocess

import pytest
import yaml

REQUIRED_ALERTS = {
    "NewsgenConsumerLagGrowing",          # consumer lag growing
    "NewsgenDeadLetterRateHigh",          # dead-letter rate
    "NewsgenBackendFallback",             # backend fallback rate
    "NewsgenFactCheckFallbackRateHigh",   # fact-check fallback rate
    "NewsgenNoNotesPublished",            # no notes published
    "NewsgenFallbackCheckFailures",       # a template fallback fails its own fact check
}


def run(cmd: list[str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)


def rules(load_yaml) -> list[dict]:
    [doc] = load_yaml("prometheus/alerts.yml")
    return [rule for group in doc["groups"] for rule in group["rules"]]


def dashboard_exprs(ops_dir) -> list[str]:
    dash = json.loads((ops_dir / "grafana" / "newsgen.json").read_text(encoding="utf-8"))
    return [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]


def test_alert_rules_pass_promtool_check(promtool, ops_dir):
    result = run([promtool, "check", "rules", "alerts.yml"], ops_dir / "prometheus")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rule_unit_tests_pass(promtool, ops_dir):
    result = run([promtool, "test", "rules", "alerts.test.yml"], ops_dir / "prometheus")
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_prometheus_config_passes_promtool_check(promtool, ops_dir):
    result = run([promtool, "check", "config", "prometheus.yml"], ops_dir / "prometheus")
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_queries_are_valid_promql(promtool, ops_dir, tmp_path):
    # promtool parses expressions only inside rule files: wrap each panel query in a recording rule
    exprs = dashboard_exprs(ops_dir)
    group = {"name": "dashboard", "rules": [{"record": f"dashboard:q{i}", "expr": e} for i, e in enumerate(exprs)]}
    (tmp_path / "dashboard.rules.yml").write_text(yaml.safe_dump({"groups": [group]}))
    result = run([promtool, "check", "rules", "dashboard.rules.yml"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_required_alerts_exist_with_severity_and_summary(load_yaml):
    alerts = {r["alert"]: r for r in rules(load_yaml) if "alert" in r}
    assert REQUIRED_ALERTS <= set(alerts)
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name


def test_every_alert_has_a_firing_unit_test(load_yaml):
    [tests] = load_yaml("prometheus/alerts.test.yml")
    firing = {case["alertname"] for t in tests["tests"] for case in t.get("alert_rule_test", [])
              if case["exp_alerts"]}
    assert {r["alert"] for r in rules(load_yaml) if "alert" in r} <= firing


def test_rules_and_dashboard_query_only_metrics_newsgen_exports(load_yaml, ops_dir, metric_sample_names,
                                                                 metric_names_in):
    used = set()
    for rule in rules(load_yaml):
        used |= metric_names_in(rule["expr"])
    for expr in dashboard_exprs(ops_dir):
        used |= metric_names_in(expr)
    assert used - metric_sample_names == set(), "unknown metric names (see newsgen/metrics.py)"


def test_dashboard_shows_every_metric(ops_dir, metric_sample_names, metric_names_in):
    shown = set().union(*(metric_names_in(e) for e in dashboard_exprs(ops_dir)))
    # a histogram is shown through any of its series
    families = {re.sub(r"_(bucket|sum|count)$", "", n) for n in shown}
    missing = {n for n in metric_sample_names
               if n not in shown and re.sub(r"_(bucket|sum|count)$", "", n) not in families}
    assert not missing, f"add a panel to ops/grafana/newsgen.json for {sorted(missing)}"


def test_dashboard_is_a_provisionable_grafana_dashboard(ops_dir, load_yaml):
    dash = json.loads((ops_dir / "grafana" / "newsgen.json").read_text(encoding="utf-8"))
    assert dash["uid"] and dash["title"] and dash["panels"]
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    assert all(p["targets"] and p["datasource"]["type"] == "prometheus" for p in dash["panels"])
    [ds] = load_yaml("grafana/provisioning/datasources/prometheus.yml")
    assert ds["datasources"][0]["url"] == "http://prometheus:9090"
    [provider] = load_yaml("grafana/provisioning/dashboards/newsgen.yml")
    [compose] = load_yaml("compose.yaml")
    mounts = compose["services"]["grafana"]["volumes"]
    path = provider["providers"][0]["options"]["path"]
    assert f"./grafana/newsgen.json:{path}/newsgen.json:ro" in mounts
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in mounts


def test_compose_scrape_jobs_match_the_alerts_and_ports(load_yaml):
    [config] = load_yaml("prometheus/prometheus.yml")
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert jobs["newsgen-bridge"]["dns_sd_configs"][0] == {"names": ["bridge"], "type": "A", "port": 9101}
    assert jobs["newsgen-worker"]["dns_sd_configs"][0] == {"names": ["worker", "worker-gpu"], "type": "A",
                                                           "port": 9102}
    assert config["rule_files"] == ["alerts.yml"]


def test_k8s_scrape_config_keeps_annotated_pods_and_names_jobs_like_compose(load_yaml):
    [config] = load_yaml("prometheus/prometheus-k8s.yml")
    assert config["rule_files"] == ["alerts.yml"]
    [job] = config["scrape_configs"]
    assert job["kubernetes_sd_configs"][0]["role"] == "pod"
    relabel = job["relabel_configs"]
    keep = next(r for r in relabel if r.get("action") == "keep")
    assert keep["source_labels"] == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
    address = next(r for r in relabel if r.get("target_label") == "__address__")
    joined = "10.1.2.3:8080;9102"
    assert re.sub(f"^(?:{address['regex']})$", address["replacement"].replace("$", "\\"), joined) == "10.1.2.3:9102"
    naming = next(r for r in relabel if r.get("target_label") == "job")
    assert naming["source_labels"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_component"]
    for component in ("bridge", "worker"):
        assert re.sub(f"^(?:{naming['regex']})$", naming["replacement"].replace("$", "\\"), component) == \
            f"newsgen-{component}"
    # the alerts match the job names both configurations produce
    [alerts] = load_yaml("prometheus/alerts.yml")
    assert 'job=~"newsgen-.*"' in yaml.safe_dump(alerts)


@pytest.mark.parametrize("path", ["prometheus/alerts.yml", "prometheus/alerts.test.yml", "prometheus/prometheus.yml",
                                  "prometheus/prometheus-k8s.yml"])
def test_prometheus_files_parse(load_yaml, path):
    assert load_yaml(path)
