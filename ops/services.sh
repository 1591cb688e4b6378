#!/usr/bin/env bash
# Start, stop or show the local services the pipeline needs: Kafka, Redis and RabbitMQ.
# usage: ops/services.sh start|stop|status
set -uo pipefail
here=$(dirname "$0")
case "${1:-}" in
  start) "$here/redis.sh" start && "$here/rabbitmq.sh" start && "$here/kafka.sh" start ;;
  stop) rc=0; "$here/kafka.sh" stop || rc=1; "$here/rabbitmq.sh" stop || rc=1; "$here/redis.sh" stop || rc=1; exit $rc ;;
  status) rc=0; "$here/kafka.sh" status || rc=1; "$here/redis.sh" status || rc=1; "$here/rabbitmq.sh" status || rc=1
          exit $rc ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
