"""The bridge's match store in Redis: the latest revision of every match, for living notes.

One hash per records topic, field = match id, value = ``{"record": ..., "event": id}``; a Lua script keeps
the write atomic (a lower revision never replaces a higher one, even with two bridges).
"""
from __future__ import annotations

import json
from typing import Any

import redis

_PUT_IF_NEWER = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local rev = cjson.decode(cur)['record']['revision'] or 0
  if rev > tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
"""


class RedisMatchStore:
    def __init__(self, client: redis.Redis, records_topic: str):
        self.client = client
        self.key = f"newsgen:matches:{records_topic}"
        self._put = client.register_script(_PUT_IF_NEWER)

    def get(self, match_id: str) -> tuple[dict[str, Any], str | None] | None:
        raw = self.client.hget(self.key, match_id)
        if raw is None:
            return None
        value = json.loads(raw)
        return value["record"], value.get("event")

    def put(self, record: dict[str, Any], event_id: str | None = None) -> bool:
        value = json.dumps({"record": record, "event": event_id}, ensure_ascii=False)
        return bool(self._put(keys=[self.key], args=[record["id"], record.get("revision", 0), value]))
