#!/usr/bin/env bash
# Set up this machine for newsgen (idempotent; the README's setup command).
#   - Debian packages: Java 17 (Kafka), Maven (resolves the Kafka jars), redis-server, rabbitmq-server
#   - a Python venv at $NEWSGEN_VENV (outside the clone, reused by later clones) linked as ./.venv,
#     with newsgen installed editable and pinned versions from ops/constraints.txt
#   - the Kafka broker jars from Maven Central, the offline tiny model and the offline demo model
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$NEWSGEN_ROOT"

missing=()
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v openssl >/dev/null || missing+=(openssl)     # certificates of the secure local Kafka (ops/kafka.sh --secure)
command -v redis-server >/dev/null || missing+=(redis-server)
# ops/rabbitmq.sh runs its own node as the current user; the package's system service is not used
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v promtool >/dev/null || missing+=(prometheus)   # promtool checks the alert rules in tests
command -v chromium >/dev/null || missing+=(chromium)     # the editor desk's browser tests
command -v chromedriver >/dev/null || missing+=(chromium-driver)
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  # the package starts a system-wide node on port 5672 where systemd runs: ops/rabbitmq.sh needs the port
  if [[ " ${missing[*]} " == *" rabbitmq-server "* ]] && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now rabbitmq-server || true
  fi
fi

python=${NEWSGEN_PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "$python is older than Python 3.11"
if [ ! -x "$NEWSGEN_VENV/bin/python" ]; then
  log "creating venv $NEWSGEN_VENV"
  mkdir -p "$(dirname "$NEWSGEN_VENV")"
  "$python" -m venv "$NEWSGEN_VENV"
fi
ln -sfn "$NEWSGEN_VENV" .venv
log "installing Python packages (first run downloads PyTorch: several minutes)"
"$NEWSGEN_VENV/bin/python" -m pip install -q --disable-pip-version-check -c ops/constraints.txt -e ".[test]"

bash ops/kafka.sh fetch
"$NEWSGEN_VENV/bin/newsgen" model tiny
if [ "${NEWSGEN_DEMO_MODEL:-1}" != 0 ]; then
  # trained once per machine and set of inputs (~15 min on 2 CPU cores), kept in $NEWSGEN_CACHE/models
  log "offline demo model: building it unless one built from the same inputs is cached (NEWSGEN_DEMO_MODEL=0 skips)"
  "$NEWSGEN_VENV/bin/newsgen" model demo --cache "$NEWSGEN_CACHE/models"
fi
log "setup done: run the tests with 'bash ops/test.sh', the demo with '.venv/bin/newsgen demo'"
