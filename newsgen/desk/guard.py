"""What stands between the desk and the network: who an editor is, and the limits a request must pass.

    editors       ``desk_editors`` (one bearer token per editor: token -> name) and the single ``desk_token``
                  (the name ``editor``); or ``desk_auth_header`` set by an authenticating proxy
    BodyLimit     request bodies over ``desk_max_body_bytes`` are refused (413) before they are read: at
                  once by ``Content-Length``, else when the streamed bytes pass the limit
    HostCheck     the ``Host`` header must be one of ``desk_allowed_hosts`` (DNS rebinding)
    StreamSlots   at most ``desk_max_streams`` live event streams

Names and texts from editors are cleaned like generated text (:func:`newsgen.grammar.clean_text`).
"""
from __future__ import annotations

import hmac
import ipaddress
import json
import tomllib
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException

from newsgen.config import Settings
from newsgen.errors import ConfigError
from newsgen.grammar.text import clean_text
from newsgen.metrics import DESK_REQUESTS_REFUSED

#: the name the single ``desk_token`` acts as (kept for desks configured before ``desk_editors``)
LEGACY_EDITOR = "editor"
NAME_MAX = 60
#: paths without note data: answered whatever the Host header (probes and Prometheus use an address)
HOST_EXEMPT = ("/healthz", "/metrics")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def clean_name(value: Any) -> str:
    """An editor's name as it may be stored and logged: one line, no control/bidi/zero-width characters,
    whitespace folded, at most :data:`NAME_MAX` characters."""
    return " ".join(clean_text(value).split())[:NAME_MAX].strip()


def clean_edit(text: str) -> str:
    """An edited note text cleaned like generated text (paragraph breaks kept), surrounding blanks dropped."""
    return clean_text(text, multiline=True).strip()


def clean_data(value: Any) -> Any:
    """Every string inside ``value`` (views, events) cleaned for the page; keys of dicts too."""
    if isinstance(value, str):
        return clean_text(value, multiline=True)
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: clean_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_data(v) for v in value]
    return value


# --- editors ---------------------------------------------------------------------------------------
def load_editors(settings: Settings) -> dict[str, str]:
    """``token -> editor name`` from ``desk_editors`` (a JSON object, or a JSON/TOML file path) plus
    ``desk_token`` as :data:`LEGACY_EDITOR`. Raises :class:`ConfigError` for a table that is not one."""
    table: dict[str, str] = {}
    if settings.desk_token and settings.desk_token.get_secret_value():
        table[settings.desk_token.get_secret_value()] = LEGACY_EDITOR
    if not settings.desk_editors:
        return table
    raw = settings.desk_editors.get_secret_value().strip()
    source = "desk_editors"
    if raw and not raw.startswith("{"):
        path = Path(raw).expanduser()
        source = f"desk_editors file {path}"
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the {source}: {exc}") from exc
    else:
        try:
            data = json.loads(raw or "{}")
        except ValueError as exc:
            raise ConfigError(f"desk_editors is not a JSON object of token -> name: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{source} must be a table of token -> editor name")
    for token, name in data.items():
        if not isinstance(name, str) or not clean_name(name):
            raise ConfigError(f"{source}: the editor of a token must be a non-empty name")
        if not token or token != token.strip() or any(c.isspace() for c in token):
            raise ConfigError(f"{source}: a token must be non-empty with no whitespace (editor {clean_name(name)!r})")
        table[token] = clean_name(name)
    return table


class Editors:
    """Who makes a request: a bearer token of the table, or the proxy's header from a trusted address."""

    def __init__(self, settings: Settings):
        self.tokens = [(token.encode(), name) for token, name in load_editors(settings).items()]
        self.header = (settings.desk_auth_header or "").strip().lower() or None
        self.proxies = {_address(p) for p in settings.desk_auth_proxies}

    @property
    def enabled(self) -> bool:
        return bool(self.tokens or self.header)

    def identify(self, headers, client_host: str | None) -> str | None:
        """The editor's name, or None for an anonymous request."""
        if self.header and client_host is not None and _address(client_host) in self.proxies:
            name = clean_name(_utf8(headers.get(self.header, "")))
            if name:
                return name
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return None
        given_b = given.strip().encode()
        found = None
        for token, name in self.tokens:  # compare with every token: the time says nothing of which matched
            if hmac.compare_digest(given_b, token):
                found = name
        return found


def _utf8(value: str) -> str:
    """A header value as the proxy meant it: ASGI servers read header bytes as latin-1, proxies send UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip().strip("[]")))
    except ValueError:
        return value.strip().lower()


# --- addresses ------------------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    if host.strip().lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(settings: Settings) -> set[str]:
    """``desk_allowed_hosts`` plus ``desk_host`` when that is one address (not 0.0.0.0 or ::)."""
    names = {_host_name(h) for h in settings.desk_allowed_hosts}
    host = settings.desk_host.strip()
    if host not in ("0.0.0.0", "::", ""):
        names.add(_host_name(host))
    return names


def exposure_warnings(settings: Settings, host: str) -> list[str]:
    """What an operator should hear when the desk listens on ``host``."""
    warnings = []
    if not is_loopback(host) and not settings.desk_read_token_required:
        warnings.append(f"the desk listens on {host}, not a loopback address, and its reads are open: anyone who "
                        "reaches it reads every note; set NEWSGEN_DESK_READ_TOKEN_REQUIRED=true or listen on "
                        "127.0.0.1 behind a proxy")
    if "*" in settings.desk_allowed_hosts:
        warnings.append("desk_allowed_hosts contains '*': the Host header is not checked (DNS rebinding)")
    return warnings


def _host_name(host: str) -> str:
    """``Host`` header value -> the lower-case name without port: ``[::1]:8088`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


# --- ASGI middleware ---------------------------------------------------------------------------------
async def refuse(send, status: int, detail: str, reason: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
    """Answer ``{"detail": ...}`` and close the connection (the unread body is not waited for)."""
    DESK_REQUESTS_REFUSED.labels(reason).inc()
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *headers]})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit (an HTTPException, so the app answers
    413 even where it wraps body errors)."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body over {limit} bytes (desk_max_body_bytes)", headers={"Connection": "close"})


class BodyLimit:
    """Refuse bodies over ``max_bytes`` before the app reads them (so before parsing and before auth)."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                return await refuse(send, 400, "invalid Content-Length", "bad_length")
            if declared > self.max_bytes:
                return await refuse(send, 413, f"request body over {self.max_bytes} bytes (desk_max_body_bytes)",
                                    "body_too_large")
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    DESK_REQUESTS_REFUSED.labels("body_too_large").inc()
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)


class HostCheck:
    """Answer only requests whose ``Host`` names this desk (a DNS-rebinding page sends its own name)."""

    def __init__(self, app, allowed: set[str]):
        self.app = app
        self.any = "*" in allowed
        self.allowed = allowed

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.any or scope["path"] in HOST_EXEMPT:
            return await self.app(scope, receive, send)
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if _host_name(host) not in self.allowed:
            shown = clean_name(host) or "(none)"
            return await refuse(send, 400,
                                f"this desk does not answer to the host {shown!r} (desk_allowed_hosts)", "host")
        await self.app(scope, receive, send)


class StreamSlots:
    """A count of open event streams, at most ``limit`` (the app runs on one event loop: no lock)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.open = 0

    def take(self) -> None:
        if self.open >= self.limit:
            DESK_REQUESTS_REFUSED.labels("streams").inc()
            raise HTTPException(503, f"too many live streams open ({self.open}, desk_max_streams); "
                                     "try again later", headers={"Retry-After": "10"})
        self.open += 1

    def give(self) -> None:
        self.open = max(0, self.open - 1)


# --- messages from the topics ----------------------------------------------------------------------
class BadMessage(ValueError):
    """A message the desk will not keep: ``reason`` is ``json`` or ``schema``."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def check_message(kind: str, raw: bytes | None) -> dict[str, Any]:
    """The decoded message if it is a valid ``note`` (:class:`~newsgen.messages.NoteMessage`) or
    ``approval`` (:class:`~newsgen.desk.actions.ApprovalMessage`); else :class:`BadMessage`. The desk keeps
    the message as it came (the dict), only once the whole of it is known to be valid."""
    from pydantic import ValidationError

    from newsgen.desk.actions import ApprovalMessage
    from newsgen.messages import NoteMessage

    try:
        value = json.loads(raw) if raw is not None else None
    except (TypeError, ValueError) as exc:
        raise BadMessage("json", f"not JSON: {exc}") from exc
    model = NoteMessage if kind == "note" else ApprovalMessage
    try:
        model.model_validate(value, strict=True)  # strict: a revision "2" is not the number 2
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())) or "$"
        raise BadMessage("schema", f"not a valid {kind} message: {where}: {first.get('msg', exc)}") from exc
    return value
