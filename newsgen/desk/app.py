"""The desk's web app: the static page, a JSON API and a server-sent event stream.

    GET  /                          the page (static HTML + vanilla JS, no build step)
    GET  /api/config                what the page needs to know (open; no secrets)
    GET  /api/notes                 kept notes, newest first; filters: sport, status, tournament, flagged, state
    GET  /api/notes/{key}           one note message as it was on the notes topic
    GET  /api/events                server-sent events: ``snapshot`` then ``note``, ``approval``, ``pending``
    POST /api/notes/{key}/approve     -> approved topic
    POST /api/notes/{key}/edit        {"text"} -> notes topic, a human-edited editorial revision
                                      ``<id>:<task>:<revision>.<edit>`` (``newsgen.history``; keyed
                                      ``<record id>:<task>`` with an ``idempotency-key`` header)
    POST /api/notes/{key}/regenerate  -> records topic, the record again as an editorial revision of its
                                      current revision (no record revision is taken)
    POST /api/notes/{key}/rewrite     {"style", "target_length"?, "length_unit"?} -> records topic
    GET  /api/whoami                the editor the token names (401 without one)
    GET  /healthz                   200 once the backlog is loaded, 503 before
    GET  /metrics                   Prometheus: skipped topic messages, refused requests

Actions need ``Authorization: Bearer <token>``, one token per editor (``desk_editors``; the single
``desk_token`` acts as ``editor``), or an authenticating proxy's ``desk_auth_header``: the editor named
there is ``edited_by`` / ``approved_by``, never a name from the request body. With no editor configured
every action is refused (403). Reads need a token too when ``desk_read_token_required``.

Before any route (``newsgen.desk.guard``): the Host header must be one of ``desk_allowed_hosts``, a body
over ``desk_max_body_bytes`` is refused (413) before it is read, at most ``desk_max_streams`` event streams
are open (503 beyond). Every response carries a strict Content-Security-Policy (scripts and styles from
this origin only, no inline code); strings of views and events are cleaned of control and bidi characters,
and the page sets record content with ``textContent``, never as HTML.
"""
from __future__ import annotations

import asyncio
import json
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pydantic import BaseModel, Field

from newsgen.config import Settings
from newsgen.desk import actions
from newsgen.desk.guard import BodyLimit, Editors, HostCheck, StreamSlots, allowed_hosts, clean_data, clean_edit
from newsgen.desk.ledger import MemoryLedger
from newsgen.desk.service import ActionError, DeskActions
from newsgen.desk.store import NoteStore
from newsgen.records import RecordValidator

log = logging.getLogger("newsgen.desk")
STATIC = Path(__file__).resolve().parent / "static"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]
KEEPALIVE_S = 15.0
STREAM_QUEUE = 2000  # events a slow page may lag behind before its stream is reset


class _SecurityHeaders:
    """Pure ASGI middleware (safe with streaming responses) adding :data:`SECURITY_HEADERS`."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ActionBody(BaseModel):
    """An action's input. Who acts is not part of it: the editor is the one its token (or the
    authenticating proxy) names; an ``editor`` field sent by an old page is ignored."""


class EditBody(ActionBody):
    text: str = Field(min_length=1, max_length=20_000)


class RewriteBody(ActionBody):
    style: Literal["news", "brief", "formal", "plain", "social"]
    target_length: int | None = Field(None, ge=1, le=3000)
    length_unit: Literal["chars", "words", "sentences"] = "chars"


class _Bus:
    """The app's current bus (``state["bus"]``) as the publisher the actions use."""

    def __init__(self, state: dict[str, Any]):
        self.state = state

    def publish(self, topic: str, key: str, value: bytes, headers: list[tuple[str, bytes]]) -> str:
        return self.state["bus"].publish(topic, key, value, headers)


def _sse(event: str, data: Any) -> str:
    """One server-sent event; its strings cleaned of control and bidi characters (the page shows them)."""
    return f"event: {event}\ndata: {json.dumps(clean_data(data), ensure_ascii=False)}\n\n"


class _Stream(StreamingResponse):
    """A streaming response that calls ``release`` when it is over, even if the client left before the
    body started (then the generator's own ``finally`` never runs)."""

    def __init__(self, content, release, **kwargs):
        super().__init__(content, **kwargs)
        self._release = release

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def create_app(settings: Settings, bus, store: NoteStore | None = None) -> FastAPI:
    """The desk app over ``bus`` (``start(store)``, ``stop()``, ``publish(topic, key, value, headers)``; the
    CLI passes the Kafka one, ``workers.desk_bus.KafkaDeskBus``: the core knows nothing of Kafka)."""
    store = store if store is not None else NoteStore(settings.desk_backlog)
    validator = RecordValidator(settings.schemas_dir)
    editors = Editors(settings)  # a bad desk_editors table fails here, at start
    streams = StreamSlots(settings.desk_max_streams)
    state: dict[str, Any] = {"bus": bus}

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        state["bus"].start(store)
        try:
            yield
        finally:
            state["bus"].close()

    app = FastAPI(title="newsgen desk", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    # each add_middleware wraps the ones before: security headers outermost (on every answer, refusals too),
    # then the Host check, then the body limit (an oversized body is refused before it is read, parsed or
    # its token looked at)
    app.add_middleware(BodyLimit, max_bytes=settings.desk_max_body_bytes)
    app.add_middleware(HostCheck, allowed=allowed_hosts(settings))
    app.add_middleware(_SecurityHeaders)
    app.state.store = store

    def identify(request: Request, what: str) -> str:
        """The editor making the request, or a refusal (403 without any editor configured, else 401)."""
        if not editors.enabled:
            raise HTTPException(403, f"{what} are disabled on this desk: no desk token is configured "
                                     "(set NEWSGEN_DESK_EDITORS or NEWSGEN_DESK_TOKEN)")
        name = editors.identify(request.headers, request.client.host if request.client else None)
        if name is None:
            raise HTTPException(401, f"{what} need a valid bearer token (Authorization: Bearer <your desk token>)",
                                headers={"WWW-Authenticate": 'Bearer realm="newsgen desk"'})
        return name

    def require_action(request: Request) -> str:
        """The authenticated editor's name: what ``edited_by`` and ``approved_by`` say."""
        return identify(request, "actions")

    def require_read(request: Request) -> None:
        if settings.desk_read_token_required:
            identify(request, "reads")

    def note_or_404(key: str) -> dict[str, Any]:
        note = store.get(key)
        if note is None:
            raise HTTPException(404, f"no note {key!r} on this desk")
        return note

    # --- the page --------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        return JSONResponse({"ready": store.ready, "notes": len(store)}, status_code=200 if store.ready else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @app.get("/api/whoami")
    def whoami(editor: str = Depends(require_action)) -> dict[str, Any]:
        """Who the given token (or proxy header) is: the page shows it beside the token field."""
        return {"editor": editor}

    @app.get("/api/config")
    def config() -> dict[str, Any]:
        return {"actions_enabled": editors.enabled, "read_token_required": settings.desk_read_token_required,
                "styles": list(actions.STYLES), "length_units": list(actions.LENGTH_UNITS),
                "topics": {"notes": settings.notes_topic, "approved": settings.approved_topic,
                           "records": settings.records_topic}}

    # --- reads -----------------------------------------------------------------------------------
    @app.get("/api/notes", dependencies=[Depends(require_read)])
    def notes(sport: str | None = None, status: str | None = None, tournament: str | None = None,
              flagged: Literal["yes", "no", ""] | None = None,
              state_: Literal["approved", "pending", ""] | None = Query(None, alias="state")) -> dict[str, Any]:
        return {"notes": clean_data(store.views(sport=sport, status=status, tournament=tournament,
                                                flagged=flagged, state=state_))}

    @app.get("/api/notes/{key}", dependencies=[Depends(require_read)])
    def note(key: str) -> dict[str, Any]:
        return note_or_404(key)

    @app.get("/api/events", dependencies=[Depends(require_read)])
    async def events() -> StreamingResponse:
        streams.take()  # at most desk_max_streams at once: 503 beyond
        queue: asyncio.Queue = asyncio.Queue(maxsize=STREAM_QUEUE)
        loop = asyncio.get_running_loop()

        def offer(event: str, data: dict[str, Any]) -> None:
            try:
                queue.put_nowait((event, data))
            except asyncio.QueueFull:
                pass  # the stream notices below and asks the page to reload

        def listener(event: str, data: dict[str, Any]) -> None:
            try:
                loop.call_soon_threadsafe(offer, event, data)
            except RuntimeError:  # the loop is closed: the server is stopping
                pass

        snapshot = store.subscribe(listener)
        released = False

        def release() -> None:  # once, whether the stream ran, ended or never started
            nonlocal released
            if not released:
                released = True
                store.unsubscribe(listener)
                streams.give()

        async def stream():
            try:
                yield _sse("snapshot", snapshot)
                while True:
                    if queue.full():
                        yield _sse("reset", {"reason": "the page fell behind"})
                        return
                    try:
                        event, data = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                    except (asyncio.TimeoutError, TimeoutError):
                        yield ": keepalive\n\n"
                        continue
                    yield _sse(event, data)
            finally:
                release()

        return _Stream(stream(), release, media_type="text/event-stream",
                       headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    # --- actions ---------------------------------------------------------------------------------
    # the rules of each action (newsgen.history) are in newsgen.desk.service; the editor comes from here
    desk = DeskActions(settings, store, _Bus(state), getattr(bus, "ledger", None) or MemoryLedger(), validator)

    async def act(fn, *args) -> dict[str, Any]:
        try:
            return await run_in_threadpool(fn, *args)
        except ActionError as exc:
            raise HTTPException(exc.status, exc.detail) from exc

    @app.post("/api/notes/{key}/approve")
    async def approve(key: str, editor: str = Depends(require_action)) -> dict[str, Any]:
        return await act(desk.approve, key, editor)

    @app.post("/api/notes/{key}/edit")
    async def edit(key: str, body: EditBody, editor: str = Depends(require_action)) -> dict[str, Any]:
        return await act(desk.edit, key, clean_edit(body.text), editor)

    @app.post("/api/notes/{key}/regenerate")
    async def regenerate(key: str, editor: str = Depends(require_action)) -> dict[str, Any]:
        return await act(desk.regenerate, key, editor)

    @app.post("/api/notes/{key}/rewrite")
    async def rewrite(key: str, body: RewriteBody, editor: str = Depends(require_action)) -> dict[str, Any]:
        return await act(desk.rewrite, key, body.style, editor, body.target_length, body.length_unit)

    return app
