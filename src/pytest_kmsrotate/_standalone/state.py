"""The standalone server's state file: saved on shutdown, loaded (replayed) on start.

The file is a journal, not a dump of the engine: the settings, every state-changing event in
the order the engine saw it (each KMS call that reached an operation, as the bytes that arrived,
with the simulated time it was answered at; clock moves; keys seeded and faults injected through
the control API), and the few secrets this process drew at random. Loading builds a fresh fake
and replays the journal through the same protocol layer, so the state that comes back is the
state the rules produce, whatever the engine's internals look like in this version.

Format (JSON, documented in docs/standalone.md):

    {"format": "pytest-kmsrotate state", "version": 1, "saved": "<ISO time>",
     "config": {...}, "secrets": {...}, "journal": [{"kind": "call" | "clock" | "key" | "fault", ...}]}

A file that is not JSON, not this format, another version, or that does not replay is refused
with a `StateFileError` naming the file and the reason; it is never overwritten then.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .._core.config import Config
from .._core.engine import Engine
from .._core.secrets import Secrets
from .._protocol.respond import Protocol, Reply

FORMAT = "pytest-kmsrotate state"
VERSION = 1


class StateFileError(Exception):
    """A state file that cannot be loaded; the message names the file and the reason."""


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat()


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Journal:
    """State-changing events in engine order. Recorded under the engine's lock by the caller."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.entries.append(entry)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


class JournalingProtocol(Protocol):
    """The shared protocol, recording each call that reached an operation, in the engine's order."""

    def __init__(self, engine: Engine, journal: Journal) -> None:
        super().__init__(engine)
        self.journal = journal

    def respond(self, operation: str, body: bytes | str | None, region: str | None,
                access_key_id: str | None = None) -> Reply:
        # The engine's lock is re-entrant: holding it here keeps journal order and engine order one.
        with self.engine.exclusively():
            before = self.engine.call_count()
            reply = super().respond(operation, body, region, access_key_id)
            answered = self.engine.last_call()
            if self.engine.call_count() > before and answered is not None:  # else refused: nothing changed
                raw = body.encode() if isinstance(body, str) else (body or b"")
                self.journal.record({"kind": "call", "time": _iso(answered.time),
                                     "operation": operation, "region": region,
                                     "body": base64.b64encode(raw).decode()})
            return reply


# -- secrets this process drew at random ----------------------------------------------------

def _der(key: rsa.RSAPrivateKey) -> str:
    raw = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return base64.b64encode(raw).decode()


def _rsa(text: str) -> rsa.RSAPrivateKey:
    key = serialization.load_der_private_key(base64.b64decode(text), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def process_secrets(engine: Engine) -> dict[str, Any]:
    """The engine's exported secrets (see _core/secrets.py) as the state file's JSON."""
    drawn = engine.export_secrets()
    return {
        "root": base64.b64encode(drawn.root).decode(),
        "wrapping_keys": {spec: _der(key) for spec, key in drawn.wrapping_keys.items()},
        "rsa_key_pairs": {material: _der(key) for material, key in drawn.key_pairs.items()},
        "realm": base64.b64encode(drawn.realm).decode(),
    }


def _secrets_of(document: dict[str, Any], engine: Engine) -> Secrets:
    stored = document["secrets"]
    # A file without a realm predates it: the fresh fake's own realm stays.
    realm = base64.b64decode(stored["realm"]) if "realm" in stored else engine.export_secrets().realm
    return Secrets(root=base64.b64decode(stored["root"]), realm=realm,
                   wrapping_keys={spec: _rsa(der) for spec, der in stored["wrapping_keys"].items()},
                   key_pairs={material: _rsa(der) for material, der in stored["rsa_key_pairs"].items()})


# -- the file --------------------------------------------------------------------------------

def config_json(config: Config) -> dict[str, Any]:
    return {"account_id": config.account_id, "region": config.region, "on_demand_limit": config.on_demand_limit,
            "on_demand_delay_seconds": config.on_demand_delay.total_seconds(),
            "replication_delay_seconds": config.replication_delay.total_seconds(), "start": _iso(config.start),
            "seed": config.seed}


def save(path: Path, config: Config, engine: Engine, journal: Journal) -> None:
    """Write the state atomically: a crash mid-write leaves the previous file whole."""
    with journal.lock:
        entries = list(journal.entries)
    document = {"format": FORMAT, "version": VERSION, "saved": _iso(datetime.now(timezone.utc)),
                "config": config_json(config), "secrets": process_secrets(engine), "journal": entries}
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=1))
    os.replace(partial, path)


def read(path: Path) -> dict[str, Any]:
    """The checked document of a state file; `StateFileError` for anything else."""
    try:
        text = path.read_text()
    except OSError as error:
        raise StateFileError(f"cannot read the state file {path}: {error}") from None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise StateFileError(f"{path} is not a pytest-kmsrotate state file (not JSON: {error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StateFileError(f"{path} is not a pytest-kmsrotate state file (no \"format\": \"{FORMAT}\")")
    if document.get("version") != VERSION:
        raise StateFileError(f"{path} is a version {document.get('version')!r} state file; "
                             f"this pytest-kmsrotate reads version {VERSION}")
    for member in ("config", "secrets", "journal"):
        if member not in document:
            raise StateFileError(f"{path} is damaged: it lacks {member!r}")
    return document


def config_of(path: Path, document: dict[str, Any]) -> Config:
    c = document["config"]
    try:
        return Config(account_id=c["account_id"], region=c["region"], on_demand_limit=c["on_demand_limit"],
                      on_demand_delay=timedelta(seconds=c["on_demand_delay_seconds"]),
                      # files saved before the setting existed replay as they ran: replicas at once
                      replication_delay=timedelta(seconds=c.get("replication_delay_seconds", 0)),
                      start=_when(c["start"]),
                      seed=c["seed"])
    except (KeyError, TypeError, ValueError) as error:
        raise StateFileError(f"{path} is damaged: its config cannot be used ({error!r})") from None


def replay(path: Path, document: dict[str, Any], fake: Any, journal: Journal) -> None:
    """Rebuild `fake` (a fresh KmsRotation built from the file's config) from the journal."""
    try:
        drawn = _secrets_of(document, fake.engine)
        fake.engine.adopt_secrets(drawn)  # before any material of the replay draws from them
        plain = Protocol(fake.engine)
        for n, entry in enumerate(document["journal"]):
            when = _when(entry["time"])
            if when > fake.clock.now():
                fake.clock.move_to(when)
            kind = entry["kind"]
            if kind == "call":
                plain.respond(entry["operation"], base64.b64decode(entry["body"]), entry["region"])
            elif kind == "key":
                fake.create_key(**entry["fields"])
            elif kind == "fault":
                fake.inject_fault(**entry["fields"])
            elif kind != "clock":
                raise ValueError(f"entry {n} has an unknown kind {kind!r}")
            journal.record(entry)
        fake.engine.adopt_secrets(drawn)  # the key pairs, now that the replay made their materials
    except StateFileError:
        raise
    except Exception as error:
        raise StateFileError(f"{path} is damaged: its journal does not replay ({error!r})") from None
