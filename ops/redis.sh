#!/usr/bin/env bash
# Redis (Debian package redis-server) as Celery broker and result backend, AOF persistence on.
# usage: ops/redis.sh start|stop|status|logs
set -euo pipefail
. "$(dirname "$0")/env.sh"

dir="$NEWSGEN_OPS_DIR/redis"
pidfile="$dir/redis.pid"

start() {
  if pid_alive "$pidfile"; then log "redis: already running (pid $(cat "$pidfile"))"; return 0; fi
  port_open "$NEWSGEN_REDIS_PORT" && die "port $NEWSGEN_REDIS_PORT is taken by another process; set NEWSGEN_REDIS_PORT"
  command -v redis-server >/dev/null || die "redis-server not found: install the Debian package 'redis-server'"
  mkdir -p "$dir/data"
  log "redis: starting on 127.0.0.1:$NEWSGEN_REDIS_PORT with AOF (data: $dir/data)"
  # appendonly + everysec: a restart loses at most one second of queued tasks.
  redis-server --bind 127.0.0.1 --port "$NEWSGEN_REDIS_PORT" --dir "$dir/data" \
    --appendonly yes --appendfsync everysec --daemonize yes --pidfile "$pidfile" \
    --logfile "$dir/redis.log" --save "" --protected-mode yes
  for _ in $(seq 100); do
    redis-cli -p "$NEWSGEN_REDIS_PORT" ping 2>/dev/null | grep -q PONG && { log "redis: ready"; return 0; }
    sleep 0.1
  done
  tail -n 20 "$dir/redis.log" >&2 || true
  die "redis did not answer PING"
}

status() {
  if pid_alive "$pidfile" && redis-cli -p "$NEWSGEN_REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    echo "redis: running (pid $(cat "$pidfile"), 127.0.0.1:$NEWSGEN_REDIS_PORT, aof=$(redis-cli -p "$NEWSGEN_REDIS_PORT" config get appendonly | tail -1))"
  else echo "redis: stopped"; return 3; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop_pid "$pidfile" redis 30 ;;
  status) status ;;
  logs) tail -n "${2:-100}" "$dir/redis.log" ;;
  *) echo "usage: $0 start|stop|status|logs [N]" >&2; exit 2 ;;
esac
