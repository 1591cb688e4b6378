#!/usr/bin/env bash
# Apache Kafka 4.x, single node, KRaft, on 127.0.0.1:$NEWSGEN_KAFKA_PORT.
# usage: ops/kafka.sh fetch|start|stop|status|logs [--secure]
# Jars come from Maven Central (ops/kafka/pom.xml) into $NEWSGEN_OPS_DIR/kafka/libs; state and logs stay there too.
# --secure: a second, separate broker with a SASL_SSL listener (SCRAM-SHA-512/256 over TLS) on
# 127.0.0.1:$NEWSGEN_KAFKA_SECURE_PORT (9094; controller 9095, PLAINTEXT inter-broker listener 9096), state,
# throwaway certificates and credentials in $NEWSGEN_OPS_DIR/kafka-secure; client settings for it in
# $NEWSGEN_OPS_DIR/kafka-secure/client.env. The plain broker is never touched by it.
set -euo pipefail
. "$(dirname "$0")/env.sh"

secure=0; rest=()
for arg in "$@"; do if [ "$arg" = --secure ]; then secure=1; else rest+=("$arg"); fi; done
set -- "${rest[@]+"${rest[@]}"}"

libs="$NEWSGEN_OPS_DIR/kafka/libs"
pom="$NEWSGEN_ROOT/ops/kafka/pom.xml"
if [ $secure = 1 ]; then
  name=kafka-secure
  dir="$NEWSGEN_OPS_DIR/kafka-secure"
  port="${NEWSGEN_KAFKA_SECURE_PORT:-9094}"
  controller_port="${NEWSGEN_KAFKA_SECURE_CONTROLLER_PORT:-9095}"
  internal_port="${NEWSGEN_KAFKA_SECURE_INTERNAL_PORT:-9096}"
  template="$NEWSGEN_ROOT/ops/kafka/server-secure.properties.in"
  port_vars="NEWSGEN_KAFKA_SECURE_PORT, NEWSGEN_KAFKA_SECURE_CONTROLLER_PORT, NEWSGEN_KAFKA_SECURE_INTERNAL_PORT"
  ready_port=$internal_port  # readiness over the PLAINTEXT listener on 127.0.0.1; clients use SASL_SSL on $port
else
  name=kafka
  dir="$NEWSGEN_OPS_DIR/kafka"
  port=$NEWSGEN_KAFKA_PORT
  controller_port=$NEWSGEN_KAFKA_CONTROLLER_PORT
  internal_port=""
  template="$NEWSGEN_ROOT/ops/kafka/server.properties.in"
  port_vars="NEWSGEN_KAFKA_PORT, NEWSGEN_KAFKA_CONTROLLER_PORT"
  ready_port=$port
fi
pidfile="$dir/kafka.pid"
props="$dir/server.properties"
certs="$dir/certs"
scram_user=newsgen

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
  "$NEWSGEN_VENV/bin/python" "$NEWSGEN_ROOT/ops/wait_kafka.py" "127.0.0.1:$ready_port" "$@"
}

# make_certs: a throwaway CA, the broker's certificate (SAN localhost, 127.0.0.1) and keystore, a truststore
# with the CA, a client certificate the CA signed, and a second CA that signed nothing (for the
# untrusted-certificate test). Made once; again when a certificate expires within a week.
make_certs() {
  if [ -f "$certs/broker.p12" ] && openssl x509 -checkend 604800 -noout -in "$certs/broker.crt" >/dev/null 2>&1; then
    return 0
  fi
  command -v openssl >/dev/null || die "openssl not found (Debian package 'openssl')"
  command -v keytool >/dev/null || die "keytool not found: install a JDK 17+ (Debian package 'openjdk-17-jre-headless')"
  log "$name: making a throwaway CA and certificates in $certs"
  rm -rf "$certs"; mkdir -p "$certs"; chmod 700 "$certs"
  local pw days=365 ca_ext="basicConstraints=critical,CA:TRUE"
  pw=$(openssl rand -hex 16); echo "$pw" > "$certs/store.password"
  (
    cd "$certs"
    for ca in ca other-ca; do
      openssl req -x509 -newkey rsa:2048 -nodes -days $days -subj "/CN=newsgen local $ca" -keyout "$ca.key" \
        -out "$ca.crt" -addext "$ca_ext" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    done
    leaf() {  # leaf NAME CN USAGE
      openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
      printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=$3" \
        "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid,issuer" > "$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days $days -extfile "$1.ext" \
        -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    leaf broker localhost serverAuth
    leaf client "$scram_user" clientAuth
    openssl pkcs12 -export -in broker.crt -inkey broker.key -certfile ca.crt -name broker -out broker.p12 \
      -passout "pass:$pw"
    keytool -importcert -noprompt -alias ca -file ca.crt -keystore truststore.p12 -storetype PKCS12 \
      -storepass "$pw" >/dev/null 2>&1
    chmod 600 ./*.key ./*.p12 store.password
  ) || die "making certificates failed"
}

# write_client_env: the NEWSGEN_* settings of a client of the secure broker (`set -a; . client.env`)
write_client_env() {
  umask 077
  cat > "$dir/client.env" <<ENV
NEWSGEN_KAFKA_BOOTSTRAP=127.0.0.1:$port
NEWSGEN_KAFKA__SECURITY_PROTOCOL=SASL_SSL
NEWSGEN_KAFKA__SASL_MECHANISM=SCRAM-SHA-512
NEWSGEN_KAFKA__USERNAME=$scram_user
NEWSGEN_KAFKA__PASSWORD=$(cat "$dir/scram.password")
NEWSGEN_KAFKA__CA_FILE=$certs/ca.crt
ENV
}

start() {
  if pid_alive "$pidfile"; then log "$name: already running (pid $(cat "$pidfile"))"; return 0; fi
  local p
  for p in $port $controller_port $internal_port; do
    port_open "$p" && die "port $p is taken by another process; set $port_vars"
  done
  command -v java >/dev/null || die "java not found: install a JDK 17+ (Debian package 'openjdk-17-jre-headless')"
  fetch
  mkdir -p "$dir/data" "$dir/logs"
  local scram=()
  if [ $secure = 1 ]; then
    make_certs
    if [ ! -f "$dir/scram.password" ]; then  # credentials are written when the storage is formatted
      rm -rf "$dir/data"; mkdir -p "$dir/data"
      (umask 077; openssl rand -hex 16 > "$dir/scram.password")
    fi
    local scram_pw; scram_pw=$(cat "$dir/scram.password")
    scram=(--add-scram "SCRAM-SHA-512=[name=$scram_user,password=$scram_pw]"
           --add-scram "SCRAM-SHA-256=[name=$scram_user,password=$scram_pw]")
    write_client_env
  fi
  (umask 077; sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" \
      -e "s|@INTERNAL_PORT@|$internal_port|g" -e "s|@CERTS@|$certs|g" \
      -e "s|@STORE_PASSWORD@|$(cat "$certs/store.password" 2>/dev/null || true)|g" \
      -e "s|@DATA_DIR@|$dir/data|g" "$template" > "$props")
  local jvm=(java "-Xmx$NEWSGEN_KAFKA_HEAP" "-Xms128m" -XX:+UseG1GC -Djava.awt.headless=true
             "-Dkafka.logs.dir=$dir/logs" "-Dlog4j2.configurationFile=$NEWSGEN_ROOT/ops/kafka/log4j2.xml"
             -cp "$libs/*")
  if [ ! -f "$dir/data/meta.properties" ]; then
    local cluster_id
    cluster_id=$("${jvm[@]}" kafka.tools.StorageTool random-uuid)
    log "$name: formatting storage (cluster $cluster_id)"
    "${jvm[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$props" "${scram[@]+"${scram[@]}"}" \
      >> "$dir/logs/format.log" 2>&1 || die "storage format failed, see $dir/logs/format.log"
  fi
  log "$name: starting on 127.0.0.1:$port (logs: $dir/logs/server.log)"
  setsid nohup "${jvm[@]}" kafka.Kafka "$props" > "$dir/logs/stdout.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  if ! ready --timeout 90 --pid "$(cat "$pidfile")"; then
    tail -n 30 "$dir/logs/stdout.log" "$dir/logs/server.log" >&2 || true
    die "$name did not answer metadata requests"
  fi
  if [ $secure = 1 ]; then log "$name: ready (SASL_SSL on 127.0.0.1:$port; client settings: $dir/client.env)"
  else log "$name: ready"; fi
}

status() {
  if pid_alive "$pidfile" && ready --timeout 5; then echo "$name: running (pid $(cat "$pidfile"), 127.0.0.1:$port)"
  elif pid_alive "$pidfile"; then echo "$name: process up (pid $(cat "$pidfile")) but not answering"; return 1
  else echo "$name: stopped"; return 3; fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop_pid "$pidfile" "$name" 60 ;;
  status) status ;;
  logs) tail -n "${2:-100}" "$dir/logs/server.log" ;;
  *) echo "usage: $0 fetch|start|stop|status|logs [N] [--secure]" >&2; exit 2 ;;
esac
