#!/usr/bin/env bash
# Apache Kafka 4.x, single node, KRaft, on 127.0.0.1:$NEWSGEN_KAFKA_PORT.
# usage: ops/kafka.sh fetch|start|stop|status|logs
# Jars come from Maven Central (ops/kafka/pom.xml) into $NEWSGEN_OPS_DIR/kafka/libs; state and logs stay there too.
set -euo pipefail
. "$(dirname "$0")/env.sh"

dir="$NEWSGEN_OPS_DIR/kafka"
libs="$dir/libs"
pidfile="$dir/kafka.pid"
props="$dir/server.properties"
pom="$NEWSGEN_ROOT/ops/kafka/pom.xml"

fetch() {
  local stamp="$libs/.pom.sha256" want
  want=$(sha256sum "$pom" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found: install Maven (Debian package 'maven')"
  log "kafka: resolving broker jars from Maven Central into $libs"
  rm -rf "$libs"; mkdir -p "$libs"
  mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >&2
  echo "$want" > "$stamp"
  log "kafka: $(ls "$libs"/*.jar | wc -l) jars ready"
}

ready() {
  "$NEWSGEN_VENV/bin/python" "$NEWSGEN_ROOT/ops/wait_kafka.py" "127.0.0.1:$NEWSGEN_KAFKA_PORT" "$@"
}

start() {
  if pid_alive "$pidfile"; then log "kafka: already running (pid $(cat "$pidfile"))"; return 0; fi
  port_open "$NEWSGEN_KAFKA_PORT" && die "port $NEWSGEN_KAFKA_PORT is taken by another process; set NEWSGEN_KAFKA_PORT"
  command -v java >/dev/null || die "java not found: install a JDK 17+ (Debian package 'openjdk-17-jre-headless')"
  fetch
  mkdir -p "$dir/data" "$dir/logs"
  sed -e "s|@PORT@|$NEWSGEN_KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$NEWSGEN_KAFKA_CONTROLLER_PORT|g" \
      -e "s|@DATA_DIR@|$dir/data|g" "$NEWSGEN_ROOT/ops/kafka/server.properties.in" > "$props"
  local jvm=(java "-Xmx$NEWSGEN_KAFKA_HEAP" "-Xms128m" -XX:+UseG1GC -Djava.awt.headless=true
             "-Dkafka.logs.dir=$dir/logs" "-Dlog4j2.configurationFile=$NEWSGEN_ROOT/ops/kafka/log4j2.xml"
             -cp "$libs/*")
  if [ ! -f "$dir/data/meta.properties" ]; then
    local cluster_id
    cluster_id=$("${jvm[@]}" kafka.tools.StorageTool random-uuid)
    log "kafka: formatting storage (cluster $cluster_id)"
    "${jvm[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$props" >> "$dir/logs/format.log" 2>&1 \
      || die "storage format failed, see $dir/logs/format.log"
  fi
  log "kafka: starting on 127.0.0.1:$NEWSGEN_KAFKA_PORT (logs: $dir/logs/server.log)"
  setsid nohup "${jvm[@]}" kafka.Kafka "$props" > "$dir/logs/stdout.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  if ! ready --timeout 90 --pid "$(cat "$pidfile")"; then
    tail -n 30 "$dir/logs/stdout.log" "$dir/logs/server.log" >&2 || true
    die "kafka did not answer metadata requests"
  fi
  log "kafka: ready"
}

status() {
  if pid_alive "$pidfile" && ready --timeout 5; then echo "kafka: running (pid $(cat "$pidfile"), 127.0.0.1:$NEWSGEN_KAFKA_PORT)"
  elif pid_alive "$pidfile"; then echo "kafka: process up (pid $(cat "$pidfile")) but not answering"; return 1
  else echo "kafka: stopped"; return 3; fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop_pid "$pidfile" kafka 60 ;;
  status) status ;;
  logs) tail -n "${2:-100}" "$dir/logs/server.log" ;;
  *) echo "usage: $0 fetch|start|stop|status|logs [N]" >&2; exit 2 ;;
esac
