"""The editor desk: a web page where editors watch, check, approve, edit and regenerate notes live.

    store    what the desk knows: the latest notes of the notes topic, approvals, pending requests (no I/O)
    actions  the messages an editor's action publishes: approval, human-edited note, regenerate, rewrite
    service  the actions' rules (one history per note, ``newsgen.history``): which revision, approvals once
    ledger   the shared counters, note publish guard and approvals they use (Redis: ``workers.desk_bus``)
    bus      the Kafka adapter: follows the notes and approved topics into the store (valid messages
             only), publishes actions
    guard    who the editor is (a token per editor, or a trusted proxy header), the body, Host and stream
             limits, the checks of topic messages, cleaning of names and texts
    app      the FastAPI app: the static page, a JSON API, a server-sent event stream, /metrics

``newsgen desk`` (``newsgen/cli/desk.py``) builds them and serves the app with uvicorn.
"""
from newsgen.desk.store import NoteStore

__all__ = ["NoteStore"]
