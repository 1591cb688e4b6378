#!/usr/bin/env bash
# Run the test suite (the README's test command). Starts Kafka, Redis and RabbitMQ if they are not running and
# stops them afterwards; extra arguments go to pytest (e.g. -m "not slow", -k bridge, -x).
set -uo pipefail
. "$(dirname "$0")/env.sh"
cd "$NEWSGEN_ROOT"

started=0
if ! bash ops/services.sh status >/dev/null 2>&1; then
  bash ops/services.sh start || die "could not start Kafka, Redis and RabbitMQ"
  started=1
fi
[ $started = 1 ] && trap 'bash ops/services.sh stop' EXIT

"$NEWSGEN_VENV/bin/python" -m pytest "$@"
rc=$?
if [ $rc = 5 ]; then log "pytest collected no tests: treating as failure"; rc=1; fi
exit $rc
