"""Load and validate input records against the JSON Schemas in ``schemas/``; read facts off them.

A record is a JSON object with a ``type`` (the schema name, e.g. ``football_match``), an ``id`` (the
Kafka key: one match stays on one partition) and an optional ``revision``. Validation errors name the
JSON path and the rule broken, e.g. ``$.score.home: -1 is less than the minimum of 0 (minimum)``;
rules JSON Schema cannot state (goals add up to the score, ...) report the rule ``consistency``.

The second half holds pure helpers over *validated* match records (:func:`outcome`, :func:`goal_timeline`,
:func:`multi_scorers`, :func:`winning_goal`) that templates and the fallback notes share, so the
arithmetic lives in Python, once.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from newsgen.errors import DecodeError, RecordError, SchemaError, SchemaVersionError, UnknownRecordType


@dataclass(frozen=True)
class Record:
    """A validated record, upgraded to the current version of its type.

    ``data`` is in the current (latest) version's shape whatever version the record came in;
    ``schema_version`` is the version it was *written* in (``upgraded`` says whether it was upgraded).
    """

    type: str
    id: str
    revision: int
    data: dict[str, Any]
    schema_version: int
    upgraded: bool = False

    def key(self, task: str) -> str:
        """Idempotency key of the note for ``task``: ``<id>:<task>:<revision>``."""
        return f"{self.id}:{task}:{self.revision}"


#: field of a record that may name its own schema version (the ``schema`` Kafka header wins over it); it is
#: an envelope attribute: dropped before validation, so no schema needs to declare it
VERSION_FIELD = "schema_version"
SCHEMA_BASE_ID = "https://newsgen.local/schemas"


def _upgrade_football_match_1(obj: dict[str, Any]) -> dict[str, Any]:
    """football_match 1 -> 2: the venue string becomes the structured venue ``{"name": ...}``."""
    out = dict(obj)
    if isinstance(out.get("venue"), str):
        out["venue"] = {"name": out["venue"]}
    return out


#: ``(record type, version) -> function`` turning a valid record of that version into the next version
UPGRADES: dict[tuple[str, int], Any] = {("football_match", 1): _upgrade_football_match_1}


def upgrade(record_type: str, obj: dict[str, Any], version: int, target: int) -> dict[str, Any]:
    """Apply the upgrade functions from ``version`` up to ``target``, one version at a time."""
    for v in range(version, target):
        step = UPGRADES.get((record_type, v))
        if step is None:
            raise SchemaVersionError(f"$: no upgrade of {record_type} from version {v} to {v + 1}")
        obj = step(obj)
    return obj


def reader_view(record: dict[str, Any]) -> dict[str, Any]:
    """The record as code written against the first versions reads it: a structured venue
    (``football_match`` 2) as its name. Templates see records through this view."""
    venue = record.get("venue")
    if isinstance(venue, dict):
        return {**record, "venue": venue.get("name", "")}
    return record


def decode(raw: bytes | str) -> Any:
    """Bytes from Kafka to JSON; invalid UTF-8 or JSON raises :class:`DecodeError`."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    except UnicodeDecodeError as exc:
        raise DecodeError(f"record is not valid UTF-8 (byte {exc.start})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DecodeError(f"record is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc


def json_path(parts) -> str:
    """``['score', 'home']`` -> ``$.score.home``; list indexes as ``[0]``."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def parse_version(value: Any) -> int | None:
    """A schema version as a positive int (``2``, ``"2"``); ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 6:
        return int(value) or None
    return None


class RecordValidator:
    """Validates records of every type that has a schema with ``properties.type.const``.

    ``schemas/`` may hold several versions of a type side by side (``football_match.json`` with ``$id``
    ``.../football_match/1``, ``football_match.v2.json`` with ``.../football_match/2``); the version is the last
    part of the ``$id``. The latest version is the *current* one: older records are validated against
    their own version, then upgraded (:data:`UPGRADES`) to the current one.
    """

    def __init__(self, schemas_dir: Path):
        self.schemas_dir = Path(schemas_dir)

    @cached_property
    def _schemas(self) -> dict[str, dict[int, Draft202012Validator]]:
        found: dict[str, dict[int, Draft202012Validator]] = {}
        for path in sorted(self.schemas_dir.glob("*.json")):
            schema = json.loads(path.read_text(encoding="utf-8"))
            record_type = schema.get("properties", {}).get("type", {}).get("const")
            if record_type:
                Draft202012Validator.check_schema(schema)
                version = int(schema["$id"].rstrip("/").rsplit("/", 1)[-1])
                found.setdefault(record_type, {})[version] = Draft202012Validator(
                    schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        return found

    @property
    def record_types(self) -> list[str]:
        return sorted(self._schemas)

    def versions(self, record_type: str) -> list[int]:
        """The versions of a record type, oldest first."""
        return sorted(self._schemas[record_type])

    def schema_version(self, record_type: str) -> int:
        """The current (latest) version of a record type."""
        return max(self._schemas[record_type])

    def schema_id(self, record_type: str, version: int | None = None) -> str:
        return f"{SCHEMA_BASE_ID}/{record_type}/{version or self.schema_version(record_type)}"

    def _check(self, obj: dict[str, Any], record_type: str, version: int) -> None:
        error = best_match(self._schemas[record_type][version].iter_errors(obj))
        if error is not None:
            path = json_path(error.absolute_path)
            message = error.message if len(error.message) <= 300 else error.message[:300] + "..."
            raise SchemaError(f"{path}: {message} ({error.validator})", path, str(error.validator))

    def _closest(self, obj: dict[str, Any], record_type: str) -> int:
        """The version a record that says none is read as: the latest it is valid under, else the one it
        breaks least (fewest errors, latest on a tie), whose error then names the real mistake."""
        versions = self.versions(record_type)
        for v in reversed(versions):                        # the usual case: valid, and cheap to tell
            if self._schemas[record_type][v].is_valid(obj):
                return v
        counts = {v: sum(1 for _ in self._schemas[record_type][v].iter_errors(obj)) for v in versions}
        return min(counts, key=lambda v: (counts[v], -v))

    def detect_version(self, obj: Any) -> int | None:
        """The version a record is written in when nothing says: the latest it is valid under
        (``None``: not a known record type, or valid under none)."""
        if not isinstance(obj, dict) or obj.get("type") not in self._schemas:
            return None
        parsed = parse_version(obj.get(VERSION_FIELD))
        if parsed is not None:
            return parsed
        body = {k: v for k, v in obj.items() if k != VERSION_FIELD}
        valid = [v for v in self.versions(obj["type"]) if self._schemas[obj["type"]][v].is_valid(body)]
        return max(valid) if valid else None

    def validate(self, obj: Any, version: int | str | None = None) -> Record:
        """Check one decoded record; raise a typed :class:`~newsgen.errors.RecordError` if it is bad.

        The version is ``version`` (from the ``schema`` header), else the record's own ``schema_version``
        field, else the latest; a record that says no version, fails the latest and is valid under an
        older version is read as that older one (producers from before versioning never said theirs).
        An unknown version raises :class:`~newsgen.errors.SchemaVersionError` (``unknown_schema_version``).
        """
        if not isinstance(obj, dict):
            raise SchemaError(f"$: a record must be a JSON object, got {type(obj).__name__}", "$", "type")
        record_type = obj.get("type")
        if not isinstance(record_type, str) or record_type not in self._schemas:
            raise UnknownRecordType(f"$.type: unknown record type {str(record_type)[:60]!r}; "
                                    f"known: {', '.join(self.record_types)}")
        known = self.versions(record_type)
        said, where = (version, "the schema header") if version is not None else (obj.get(VERSION_FIELD), "$.schema_version")
        body = {k: v for k, v in obj.items() if k != VERSION_FIELD}
        if said is not None:
            wanted = parse_version(said)
            if wanted is None or wanted not in known:
                raise SchemaVersionError(f"{where}: unknown {record_type} schema version {str(said)[:40]!r}; "
                                         f"known: {', '.join(map(str, known))}")
            self._check(body, record_type, wanted)
        else:
            wanted = self._closest(body, record_type)
            self._check(body, record_type, wanted)
        current = known[-1]
        data = body
        if wanted != current:
            data = upgrade(record_type, body, wanted, current)
            try:
                self._check(data, record_type, current)
            except SchemaError as exc:
                raise SchemaError(f"upgrade of {record_type} {wanted} -> {current} gave an invalid record: {exc}",
                                  exc.path, exc.rule) from exc
        _check_consistency(data)
        return Record(type=record_type, id=data["id"], revision=data.get("revision", 0), data=data,
                      schema_version=wanted, upgraded=wanted != current)

    def load(self, raw: bytes | str, version: int | str | None = None) -> Record:
        """Decode and validate raw bytes."""
        return self.validate(decode(raw), version)


# --- file validation -----------------------------------------------------------------------------------

@dataclass
class FileItem:
    """One record of a file: where it was (1-based line, or item index for a JSON array) and the outcome."""

    line: int
    record: Record | None = None
    error: RecordError | None = None
    type: str | None = None
    id: str | None = None


@dataclass
class FileReport:
    """Validation of a whole file."""

    path: str
    items: list[FileItem] = field(default_factory=list)

    @property
    def valid(self) -> list[FileItem]:
        return [i for i in self.items if i.error is None]

    @property
    def invalid(self) -> list[FileItem]:
        return [i for i in self.items if i.error is not None]

    @property
    def ok(self) -> bool:
        return not self.invalid

    def by_type(self) -> dict[str, tuple[int, int]]:
        """``{type: (valid, invalid)}``; an unreadable type counts as ``?``."""
        counts: dict[str, tuple[int, int]] = {}
        for item in self.items:
            key = item.type if isinstance(item.type, str) else "?"
            good, bad = counts.get(key, (0, 0))
            counts[key] = (good + (item.error is None), bad + (item.error is not None))
        return dict(sorted(counts.items()))


def iter_raw(text: str, name: str = "") -> Iterator[tuple[int, str | Any]]:
    """Records of a file's text: a JSON array or object (``.json``), else JSON Lines (blank lines skipped).

    Yields ``(line or index, raw line or decoded item)``.
    """
    stripped = text.lstrip()
    if name.endswith(".json") or (stripped.startswith("[") and not name.endswith(".jsonl")):
        data = decode(text)
        for i, item in enumerate(data if isinstance(data, list) else [data], start=1):
            yield i, item
        return
    for lineno, line in jsonl_lines(io.BytesIO(text.encode("utf-8", "surrogatepass"))):
        yield lineno, line.decode("utf-8", "surrogatepass")


def jsonl_lines(lines: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` of JSON Lines read as bytes (a binary file, or ``io.BytesIO``): split at
    ``\\n`` only, trailing ``\\r``/``\\n`` dropped, blank lines (ASCII whitespace) skipped.

    The one line reader of ``newsgen produce`` (``producers.publish.read_lines``) and ``newsgen validate``
    (:func:`iter_raw`): U+2028, U+2029 and U+0085 are characters inside a JSON string, not line ends
    (``str.splitlines`` would split there), so both see the same lines.
    """
    for lineno, line in enumerate(lines, start=1):
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield lineno, line


def validate_file(validator: RecordValidator, path: Path | str, text: str | None = None) -> FileReport:
    """Validate every record of a file; never raises for bad records (a bad ``.json`` file as a whole
    raises :class:`DecodeError`)."""
    path = str(path)
    if text is None:
        text = Path(path).read_bytes().decode("utf-8")  # no newline translation: lines as `produce` reads them
    report = FileReport(path)
    for line, raw in iter_raw(text, path):
        item = FileItem(line)
        try:
            obj = decode(raw) if isinstance(raw, str) else raw
            if isinstance(obj, dict):
                item.type, item.id = obj.get("type"), obj.get("id")
                item.type = item.type if isinstance(item.type, str) else None
                item.id = item.id if isinstance(item.id, str) else None
            item.record = validator.validate(obj)
        except RecordError as exc:
            item.error = exc
        report.items.append(item)
    return report


# --- consistency ---------------------------------------------------------------------------------------

UNPLAYED = ("scheduled", "postponed", "cancelled")
#: match statuses that get a score narrative (the status gate, see newsgen.fallback.needs_model)
NARRATED = ("live", "finished")
_ADDED_AFTER = (45, 90, 105, 120)


def _fail(path: str, message: str) -> SchemaError:
    return SchemaError(f"{path}: {message} (consistency)", path, "consistency")


def _check_consistency(obj: dict[str, Any]) -> None:
    """Rules JSON Schema cannot state, per record type; raises :class:`SchemaError` with rule ``consistency``."""
    check = _CONSISTENCY.get(obj["type"])
    if check is not None:
        check(obj)


def _no_events_unless_played(obj: dict[str, Any], fields: tuple[str, ...]) -> None:
    if obj["status"] in UNPLAYED:
        for name in fields:
            if obj.get(name):
                raise _fail(f"$.{name}", f"a {obj['status']} match cannot list {name}")


def _sum_rule(obj: dict[str, Any], listed: dict[str, int], what: str, path: str, bonus: dict[str, int]) -> None:
    score = obj.get("score")
    if not isinstance(score, dict):
        return
    for side in ("home", "away"):
        expected = score[side] - bonus.get(side, 0)
        if listed[side] != expected:
            extra = f" minus {bonus[side]} for the shoot-out win" if bonus.get(side) else ""
            raise _fail(path, f"{listed[side]} {what} listed for {side} but $.score.{side} is {score[side]}{extra}")


def _check_football(obj: dict[str, Any]) -> None:
    _no_events_unless_played(obj, ("goals", "cards", "substitutions", "shootout"))
    for name in ("goals", "cards", "substitutions"):
        for i, event in enumerate(obj.get(name, [])):
            if "added" in event and event["minute"] not in _ADDED_AFTER:
                raise _fail(f"$.{name}[{i}].added", f"added time follows minutes 45, 90, 105 or 120, "
                                                    f"not {event['minute']}")
            if event["minute"] > 90 and not obj.get("extra_time"):
                raise _fail(f"$.{name}[{i}].minute", f"minute {event['minute']} needs $.extra_time true")
    goals = obj.get("goals")
    if goals is not None:
        listed = {side: sum(1 for g in goals if g["team"] == side) for side in ("home", "away")}
        _sum_rule(obj, listed, "goal(s)", "$.goals", {})
    shootout = obj.get("shootout")
    if shootout is not None:
        score = obj.get("score", {})
        if obj["status"] != "finished":
            raise _fail("$.shootout", "only a finished match has a shoot-out result")
        if score.get("home") != score.get("away"):
            raise _fail("$.shootout", f"a shoot-out follows a level score, not {score.get('home')}:{score.get('away')}")
        if shootout["home"] == shootout["away"]:
            raise _fail("$.shootout", "a shoot-out has a winner")


def clock_seconds(clock: str) -> int:
    """``mm:ss`` -> seconds."""
    mm, ss = clock.split(":")
    return int(mm) * 60 + int(ss)


REGULATION_S = 60 * 60  # hockey: three 20-minute periods


def _check_hockey(obj: dict[str, Any]) -> None:
    _no_events_unless_played(obj, ("goals", "penalties", "periods"))
    score = obj.get("score")
    finished = obj["status"] == "finished" and isinstance(score, dict)
    decided = obj.get("decided", "regulation")
    if "decided" in obj and obj["status"] != "finished":
        raise _fail("$.decided", f"only a finished match is decided, this one is {obj['status']}")
    bonus: dict[str, int] = {}
    if finished:
        diff = score["home"] - score["away"]
        if diff == 0:
            raise _fail("$.score", "a finished hockey match has a winner")
        if decided in ("overtime", "shootout") and abs(diff) != 1:
            raise _fail("$.score", f"a match decided in {decided} is won by one goal, not {abs(diff)}")
        if decided == "shootout":
            bonus = {"home" if diff > 0 else "away": 1}
    goals = obj.get("goals")
    if goals is not None:
        listed = {side: sum(1 for g in goals if g["team"] == side) for side in ("home", "away")}
        _sum_rule(obj, listed, "goal(s)", "$.goals", bonus)
        ordered = sorted(range(len(goals)), key=lambda i: clock_seconds(goals[i]["time"]))
        late = [i for i in ordered if clock_seconds(goals[i]["time"]) >= REGULATION_S]
        if finished and decided != "overtime" and late:
            raise _fail(f"$.goals[{late[0]}].time", f"a goal after 60:00 means the match was decided in overtime")
        if finished and decided == "overtime":
            winner = "home" if score["home"] > score["away"] else "away"
            if len(late) != 1 or ordered[-1] != late[0] or goals[late[0]]["team"] != winner:
                raise _fail("$.goals", "an overtime win needs exactly one goal after 60:00, the last one, by the winner")
    periods = obj.get("periods")
    if periods is not None:
        listed = {side: sum(p[side] for p in periods) for side in ("home", "away")}
        _sum_rule(obj, listed, "goal(s) in periods", "$.periods", bonus)
        if finished:
            if decided == "regulation" and len(periods) != 3:
                raise _fail("$.periods", f"a match decided in regulation has 3 periods, not {len(periods)}")
            if decided == "overtime" and len(periods) < 4:
                raise _fail("$.periods", "an overtime win lists the overtime period")


def _check_basketball(obj: dict[str, Any]) -> None:
    _no_events_unless_played(obj, ("quarters", "leaders"))
    score = obj.get("score")
    quarters = obj.get("quarters")
    finished = obj["status"] == "finished" and isinstance(score, dict)
    if finished and score["home"] == score["away"]:
        raise _fail("$.score", "a finished basketball game has no draw")
    if quarters is not None:
        listed = {side: sum(q[side] for q in quarters) for side in ("home", "away")}
        _sum_rule(obj, listed, "point(s) in quarters", "$.quarters", {})
        if finished:
            if len(quarters) < 4:
                raise _fail("$.quarters", f"a finished game has at least 4 quarters, not {len(quarters)}")
            home = away = 0
            for i, q in enumerate(quarters[:-1]):
                home, away = home + q["home"], away + q["away"]
                if i >= 3 and home != away:
                    raise _fail(f"$.quarters[{i + 1}]", f"overtime is played only after a level score, not {home}:{away}")
    for i, leader in enumerate(obj.get("leaders", [])):
        if isinstance(score, dict) and leader["points"] > score[leader["team"]]:
            raise _fail(f"$.leaders[{i}].points", f"{leader['points']} points exceed the team's {score[leader['team']]}")


def _check_rewrite(obj: dict[str, Any]) -> None:
    from newsgen.grammar import clean_text

    if not clean_text(obj["text"], multiline=True).strip():
        raise _fail("$.text", "the text to rewrite is blank")


_CONSISTENCY = {"football_match": _check_football, "hockey_match": _check_hockey,
                "basketball_game": _check_basketball, "rewrite_request": _check_rewrite}


# --- facts of validated match records (shared by templates and fallback notes) --------------------------

def other(side: str) -> str:
    return "away" if side == "home" else "home"


def outcome(record: dict[str, Any]) -> dict[str, Any]:
    """Who won a match, from the winner's side.

    Keys: ``winner``/``loser`` (``home``/``away``, ``None`` for a level score), ``ws``/``ls`` (winner's and
    loser's score; home and away when level), ``level``, ``decided`` (``regulation``, ``extra_time``,
    ``overtime``, ``shootout``), ``shootout`` (``{"ws": .., "ls": ..}`` for a football shoot-out), ``home_win``.
    """
    score = record.get("score") or {"home": 0, "away": 0}
    home, away = score["home"], score["away"]
    result: dict[str, Any] = {"winner": None, "loser": None, "ws": home, "ls": away, "level": home == away,
                              "decided": "regulation", "shootout": None, "home_win": False}
    if record["type"] == "hockey_match":
        result["decided"] = record.get("decided", "regulation")
    elif record.get("extra_time"):
        result["decided"] = "extra_time"
    if record["type"] == "basketball_game" and len(record.get("quarters", [])) > 4:
        result["decided"] = "overtime"
    winner = "home" if home > away else "away" if away > home else None
    so = record.get("shootout")
    if winner is None and so:
        winner = "home" if so["home"] > so["away"] else "away"
        result["decided"] = "shootout"
        result["shootout"] = {"ws": so[winner], "ls": so[other(winner)]}
    if winner is not None:
        result.update(winner=winner, loser=other(winner), ws=score[winner], ls=score[other(winner)],
                      home_win=winner == "home")
    return result


def goal_timeline(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Goals in match order with the running score ``"2:1"`` (home:away) and the scorer's own side
    (``player_side``: the credited side, or the other one for an own goal). Hockey goals carry ``clock``."""
    goals = list(record.get("goals", []))
    if record["type"] == "hockey_match":
        goals.sort(key=lambda g: clock_seconds(g["time"]))
    else:
        goals.sort(key=lambda g: (g["minute"], g.get("added", 0)))
    home = away = 0
    out = []
    for g in goals:
        if g["team"] == "home":
            home += 1
        else:
            away += 1
        kind = g.get("kind", "regular")
        out.append({**g, "kind": kind, "added": g.get("added"), "running": f"{home}:{away}",
                    "player_side": other(g["team"]) if kind == "own_goal" else g["team"]})
    return out


def multi_scorers(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Players with two or more goals (own goals excluded), most first: ``[{player, side, goals}]``."""
    counts: dict[tuple[str, str], int] = {}
    for g in goal_timeline(record):
        if g["kind"] != "own_goal":
            counts[(g["player"], g["team"])] = counts.get((g["player"], g["team"]), 0) + 1
    found = [{"player": p, "side": s, "goals": n} for (p, s), n in counts.items() if n >= 2]
    return sorted(found, key=lambda x: -x["goals"])


def winning_goal(record: dict[str, Any]) -> dict[str, Any] | None:
    """The goal that put the winner ahead for good (the winner's goal number ``ls + 1``); ``None`` for a
    level score, a shoot-out or missing goals."""
    result = outcome(record)
    if result["winner"] is None or result["decided"] == "shootout":
        return None
    timeline = goal_timeline(record)
    count = 0
    for g in timeline:
        if g["team"] == result["winner"]:
            count += 1
            if count == result["ls"] + 1:
                return g
    return None
