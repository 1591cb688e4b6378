#!/usr/bin/env bash
# RabbitMQ (Debian package rabbitmq-server) as the production Celery broker, run as the current user with
# its own node name, data (RABBITMQ_MNESIA_BASE), logs, config and Erlang cookie under the ops folder.
# Erlang's port mapper (epmd, port 4369), started with the first node, is shared by all nodes and stays up.
# usage: ops/rabbitmq.sh start|stop|status|logs
set -euo pipefail
. "$(dirname "$0")/env.sh"

dir="$NEWSGEN_OPS_DIR/rabbitmq"
bin=/usr/lib/rabbitmq/bin        # the real scripts: /usr/sbin's wrappers insist on the rabbitmq system user
export HOME="$dir"               # .erlang.cookie of this node lives here, shared by rabbitmqctl below
export RABBITMQ_NODENAME="$NEWSGEN_RABBITMQ_NODENAME"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$NEWSGEN_RABBITMQ_PORT"
export RABBITMQ_DIST_PORT="$((NEWSGEN_RABBITMQ_PORT + 20000))"
export RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
pidfile="$RABBITMQ_PID_FILE"
ctl() { "$bin/rabbitmqctl" -n "$RABBITMQ_NODENAME" "$@"; }

start() {
  if pid_alive "$pidfile"; then log "rabbitmq: already running (pid $(cat "$pidfile"))"; return 0; fi
  port_open "$NEWSGEN_RABBITMQ_PORT" && die "port $NEWSGEN_RABBITMQ_PORT is taken by another process; set NEWSGEN_RABBITMQ_PORT"
  [ -x "$bin/rabbitmq-server" ] || die "rabbitmq-server not found: install the Debian package 'rabbitmq-server'"
  mkdir -p "$dir/mnesia" "$dir/log"
  touch "$RABBITMQ_CONF_ENV_FILE" "$RABBITMQ_ENABLED_PLUGINS_FILE"
  [ -f "$RABBITMQ_ADVANCED_CONFIG_FILE" ] || echo "[]." >"$RABBITMQ_ADVANCED_CONFIG_FILE"
  # loopback only; guest may log in from 127.0.0.1 (RabbitMQ's default). The machine is shared: cap memory.
  cat >"$RABBITMQ_CONFIG_FILE" <<EOF
listeners.tcp.default = 127.0.0.1:$NEWSGEN_RABBITMQ_PORT
vm_memory_high_watermark.absolute = 1GB
disk_free_limit.absolute = 200MB
log.file.level = info
EOF
  log "rabbitmq: starting node $RABBITMQ_NODENAME on 127.0.0.1:$NEWSGEN_RABBITMQ_PORT (data: $RABBITMQ_MNESIA_BASE)"
  (cd "$dir" && setsid nohup "$bin/rabbitmq-server" >"$dir/log/startup.log" 2>&1 </dev/null &)
  for _ in $(seq 150); do [ -s "$pidfile" ] && break; sleep 0.2; done
  if [ -s "$pidfile" ] && ctl wait --timeout 60 "$pidfile" >/dev/null 2>&1 && port_open "$NEWSGEN_RABBITMQ_PORT"; then
    log "rabbitmq: ready"; return 0
  fi
  tail -n 30 "$dir/log/startup.log" >&2 || true
  die "rabbitmq did not start"
}

stop() {
  if ! pid_alive "$pidfile"; then log "rabbitmq: not running"; rm -f "$pidfile"; return 0; fi
  log "rabbitmq: stopping (pid $(cat "$pidfile"))"
  # a clean stop flushes the quorum queues' logs; stop_pid's SIGTERM/SIGKILL if the node does not answer
  ctl stop "$pidfile" >/dev/null 2>&1 || stop_pid "$pidfile" rabbitmq 60
  rm -f "$pidfile"
  log "rabbitmq: stopped"
}

status() {
  if pid_alive "$pidfile" && port_open "$NEWSGEN_RABBITMQ_PORT"; then
    echo "rabbitmq: running (pid $(cat "$pidfile"), node $RABBITMQ_NODENAME, 127.0.0.1:$NEWSGEN_RABBITMQ_PORT)"
  else echo "rabbitmq: stopped"; return 3; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  logs) tail -n "${2:-100}" "$dir/log/$RABBITMQ_NODENAME.log" ;;
  ctl) shift; ctl "$@" ;;
  *) echo "usage: $0 start|stop|status|logs [N]|ctl ARGS..." >&2; exit 2 ;;
esac
