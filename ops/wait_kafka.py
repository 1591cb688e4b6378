"""Wait until a Kafka broker answers a metadata request. Used by ops/kafka.sh.

usage: wait_kafka.py HOST:PORT [--timeout SECONDS] [--pid PID]
Exit 0 when ready, 1 on timeout or when the watched process died.
"""
import argparse
import logging
import os
import sys
import time

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

logging.getLogger("kafka").setLevel(logging.CRITICAL)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("bootstrap")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--pid", type=int, help="give up early if this process exits")
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if args.pid:
            try:
                os.kill(args.pid, 0)
            except ProcessLookupError:
                print("broker process exited", file=sys.stderr)
                return 1
        try:
            admin = KafkaAdminClient(bootstrap_servers=args.bootstrap, request_timeout_ms=3000)
            try:
                admin.describe_cluster()
                return 0
            finally:
                admin.close()
        except KafkaError:  # broker not up yet
            time.sleep(0.5)
    return 1


if __name__ == "__main__":
    sys.exit(main())
