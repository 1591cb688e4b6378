# Shared settings for the ops scripts. Source it; every value can be overridden from the environment.
NEWSGEN_ROOT="${NEWSGEN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# Logs, pid files, service data and the Kafka jar cache live under one ignored folder.
NEWSGEN_OPS_DIR="${NEWSGEN_OPS_DIR:-$NEWSGEN_ROOT/.ops}"
# The virtual environment and the demo model live outside the clone so a fresh clone reuses them.
NEWSGEN_CACHE="${NEWSGEN_CACHE:-$HOME/.cache/newsgen}"
NEWSGEN_VENV="${NEWSGEN_VENV:-$NEWSGEN_CACHE/venv}"
NEWSGEN_KAFKA_PORT="${NEWSGEN_KAFKA_PORT:-9092}"
NEWSGEN_KAFKA_CONTROLLER_PORT="${NEWSGEN_KAFKA_CONTROLLER_PORT:-9093}"
NEWSGEN_KAFKA_HEAP="${NEWSGEN_KAFKA_HEAP:-512m}"
NEWSGEN_REDIS_PORT="${NEWSGEN_REDIS_PORT:-6379}"
NEWSGEN_RABBITMQ_PORT="${NEWSGEN_RABBITMQ_PORT:-5672}"
# unique per user and port, so several checkouts (and users) can each run a node on one machine
NEWSGEN_RABBITMQ_NODENAME="${NEWSGEN_RABBITMQ_NODENAME:-newsgen-$(id -un)-$NEWSGEN_RABBITMQ_PORT@localhost}"
export NEWSGEN_ROOT NEWSGEN_OPS_DIR NEWSGEN_CACHE NEWSGEN_VENV NEWSGEN_KAFKA_PORT NEWSGEN_KAFKA_CONTROLLER_PORT \
       NEWSGEN_KAFKA_HEAP NEWSGEN_REDIS_PORT NEWSGEN_RABBITMQ_PORT NEWSGEN_RABBITMQ_NODENAME

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# pid_alive FILE: true when FILE names a running process.
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# stop_pid FILE NAME SECONDS: SIGTERM the process in FILE, wait up to SECONDS, then SIGKILL.
stop_pid() {
  local file=$1 name=$2 wait_s=${3:-30} pid
  if ! pid_alive "$file"; then log "$name: not running"; rm -f "$file"; return 0; fi
  pid=$(cat "$file")
  log "$name: stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq "$((wait_s * 5))"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then log "$name: still running after ${wait_s}s, killing"; kill -KILL "$pid" || true; fi
  rm -f "$file"
  log "$name: stopped"
}
