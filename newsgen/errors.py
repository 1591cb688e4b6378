"""Error hierarchy of newsgen. Every error says whether retrying can help.

    NewsgenError                      retriable = False unless noted
    ├── ConfigError                   bad settings or config file
    ├── RecordError                   input that can never succeed -> dead-letter topic
    │   ├── DecodeError               not UTF-8 / not JSON
    │   ├── SchemaError               fails its JSON Schema (carries the JSON path and the rule)
    │   │   └── SchemaVersionError    names a schema version newsgen does not know
    │   └── UnknownRecordType         no schema for the record's type
    ├── SeedError                     a template failed to render for a valid record -> dead-letter
    ├── ModelError                    model missing, unreadable or not GPT-2 architecture
    └── GenerationError               retriable = True: a backend failed mid-run (OOM, session error)

Adapters decide once: the bridge dead-letters non-retriable errors, the Celery task retries retriable
ones, the CLI maps them to exit codes.
"""
from __future__ import annotations


class NewsgenError(Exception):
    """Base class; ``retriable`` tells adapters whether the same input may succeed later."""

    retriable = False
    #: short machine-readable reason, used in dead-letter messages and metrics labels
    reason = "error"


class ConfigError(NewsgenError):
    reason = "config"


class RecordError(NewsgenError):
    reason = "invalid_record"


class DecodeError(RecordError):
    reason = "decode"


class SchemaError(RecordError):
    """A record broke its schema; ``path`` is the JSON path, ``rule`` the JSON Schema keyword."""

    reason = "schema"

    def __init__(self, message: str, path: str = "$", rule: str = ""):
        super().__init__(message)
        self.path = path
        self.rule = rule


class SchemaVersionError(SchemaError):
    """The ``schema`` header or the record's ``schema_version`` names a version with no schema file."""

    reason = "unknown_schema_version"

    def __init__(self, message: str, path: str = "$.schema_version", rule: str = "schema_version"):
        super().__init__(message, path, rule)


class UnknownRecordType(RecordError):
    reason = "unknown_type"


class SeedError(NewsgenError):
    reason = "seed"


class ModelError(NewsgenError):
    reason = "model"


class GenerationError(NewsgenError):
    retriable = True
    reason = "generation"
