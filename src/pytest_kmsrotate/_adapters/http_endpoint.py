"""The HTTP door: a KMS endpoint on loopback for clients in other processes and other languages.

It speaks AWS JSON 1.1 as AWS serves it (`POST /`, `X-Amz-Target: TrentService.<Operation>`)
and does only what a transport must: HTTP framing, routing by `X-Amz-Target`, the SigV4 check
(`_protocol.sigv4`), and sending back what the shared protocol layer answers. Requests it
refuses before any operation runs get AWS's error answers built by that same layer, so every
answer has the same headers and error bodies as the in-process door's.

A threaded `http.server`: one thread per connection, so a slow or stalled client holds its own
thread only (each socket read times out), a child process and the test's own in-process
clients are answered side by side, and nothing a client sends can stop the server.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .._core.clock import Clock
from .._core.errors import NotImplementedByFake
from .._process.simulated_time import real_time
from .._process.throwaway import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY
from .._protocol.respond import Protocol, Reply
from .._protocol.service_model import operation_model
from .._protocol.sigv4 import MAX_SKEW, Refusal, verify

TARGET_PREFIX = "TrentService."
# Coral's JSON services take either JSON content type; botocore and every SDK send 1.1.
CONTENT_TYPES = ("application/x-amz-json-1.1", "application/x-amz-json-1.0")
# No KMS request comes near this (the largest, ImportKeyMaterial, is a few KiB); AWS's own
# limit is not published, so the fake refuses anything larger without reading it.
MAX_BODY_BYTES = 1024 * 1024
DEFAULT_TIMEOUT = 20.0  # seconds a connection may stay silent, idle or mid-request
# A path AWS never uses: the standalone server's control API lives under it, on the same port.
CONTROL_PREFIX = "/_kmsrotate/"

# (method, path, body) -> (status, JSON-ready answer): the standalone server's control API.
Control = Callable[[str, str, bytes], tuple[int, Any]]


def real_now() -> datetime:
    """Wall-clock time, even while the fake's time patch makes every reader see the simulated clock."""
    return datetime.fromtimestamp(real_time(), tz=timezone.utc)


class _SimulatedTimes:
    """The simulated times the clock showed in the last five real minutes, as one span.

    A client in this process signs with the simulated time (freezegun hands it to botocore's
    signer); if the test moves the clock between the signing and the check, that signature is
    still as fresh as AWS requires: signed less than five minutes ago, by the clock it read.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._moves: deque[tuple[datetime, datetime]] = deque([(real_now(), clock.now())])

    def moved(self, now: datetime) -> None:
        with self._lock:
            self._moves.append((real_now(), now))

    def span(self) -> tuple[datetime, datetime]:
        cutoff = real_now() - MAX_SKEW
        with self._lock:
            while len(self._moves) > 1 and self._moves[1][0] <= cutoff:
                self._moves.popleft()  # superseded before the window opened
            return self._moves[0][1], self._clock.now()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, endpoint: HttpEndpoint, address: tuple[str, int]) -> None:
        self.endpoint = endpoint
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that vanished mid-answer is not the server's failure; keep serving, quietly.
        self.endpoint.errors.append(repr(sys.exc_info()[1]))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as SDK connection pools expect
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.endpoint.timeout)
        # Headers and body leave in two writes; with Nagle on, the second waits for the client's
        # delayed ACK (40 ms on Linux) on every call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the call log is the record; a test's output stays clean

    def version_string(self) -> str:
        return "pytest-kmsrotate"

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed request lines and headers (http.server's own checks): a clean 4xx, then close.
        reply = self.server.endpoint.protocol.reject(code, "SerializationException", message or "Bad request")
        self.close_connection = True
        self.request_version = "HTTP/1.1"  # an unparsable line reads as HTTP/0.9, which has no status line
        self._send(reply, close=True)

    # Every method: AWS routes on POST / only.
    def do_POST(self) -> None:
        if not self._controlled():
            self._answer()

    def do_GET(self) -> None:
        if not self._controlled():
            self._refuse_unrouted()

    def _controlled(self) -> bool:
        """Answer a control API request, if this is one and the endpoint has a control API."""
        control = self.server.endpoint.control
        if control is None or not self.path.startswith(CONTROL_PREFIX):
            return False
        length = self._content_length()
        if length is None or length > MAX_BODY_BYTES:
            status, answer = 400, {"error": "a control request needs a Content-Length of at most 1 MiB"}
            self.close_connection = True
        else:
            body = self.rfile.read(length) if length else b""
            with self.server.endpoint.in_flight():
                try:
                    status, answer = control(self.command, self.path[len(CONTROL_PREFIX) - 1:], body)
                except Exception as error:  # a bug: say so, keep serving
                    self.server.endpoint.errors.append(repr(error))
                    status, answer = 500, {"error": f"the control API failed: {error!r}"}
        payload = json.dumps(answer, default=str).encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        return True

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _refuse_unrouted(self) -> None:
        self._skip_body()
        self._send(self._unknown_operation())

    def _unknown_operation(self) -> Reply:
        return self.server.endpoint.protocol.reject(400, "UnknownOperationException", None)

    def _skip_body(self) -> None:
        length = self._content_length()
        if length is None or length > MAX_BODY_BYTES:
            self.close_connection = True
        elif length:
            self.rfile.read(length)

    def _content_length(self) -> int | None:
        raw = self.headers.get("Content-Length")
        if raw is None:
            return 0
        try:
            length = int(raw)
        except ValueError:
            return None
        return length if length >= 0 else None

    def _answer(self) -> None:
        endpoint = self.server.endpoint
        protocol = endpoint.protocol
        if self.headers.get("Transfer-Encoding"):
            # No SDK chunks a KMS request; refusing beats guessing where the body ends.
            self.close_connection = True
            self._send(protocol.reject(411, "SerializationException", "Content-Length is required."), close=True)
            return
        length = self._content_length()
        if length is None:
            self.close_connection = True
            self._send(protocol.reject(400, "SerializationException", "Invalid Content-Length."), close=True)
            return
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send(protocol.reject(413, "SerializationException",
                                       f"Request body of {length} bytes exceeds the {MAX_BODY_BYTES} bytes "
                                       "this endpoint accepts."), close=True)
            return
        with endpoint.in_flight():
            self._answer_body(length)

    def _answer_body(self, length: int) -> None:
        endpoint = self.server.endpoint
        protocol = endpoint.protocol
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client half-closed mid-body: nobody is left to answer
            self.close_connection = True
            return
        operation = self._operation()
        if operation is None:
            self._send(self._unknown_operation())
            return
        signed = verify("POST", self.path, self.headers, body, endpoint.secret_for, endpoint.signing_times())
        if isinstance(signed, Refusal):
            self._send(protocol.reject(signed.status, signed.code, signed.message))
            return
        try:
            reply = protocol.respond(operation, body, signed.region, signed.access_key)
        except NotImplementedByFake as gap:
            # A code no AWS service sends, so no client can take the gap for an answer; 501 is
            # retried by no SDK. The fixture also fails the test for it at teardown.
            reply = protocol.reject(501, "NotImplementedByFake", str(gap))
        except Exception as error:  # a fake's bug: answer it, keep serving, let the test see it
            endpoint.errors.append(repr(error))
            reply = protocol.reject(500, "KMSInternalException",
                                    f"pytest-kmsrotate failed answering {operation}: {error!r}")
        endpoint.count_request()
        self._send(reply)

    def _operation(self) -> str | None:
        if self.path.split("?", 1)[0] != "/":
            return None
        content_type = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if content_type not in CONTENT_TYPES:
            return None
        target = self.headers.get("X-Amz-Target") or ""
        if not target.startswith(TARGET_PREFIX):
            return None
        operation = target[len(TARGET_PREFIX):]
        return operation if operation_model(operation) is not None else None

    def _send(self, reply: Reply, *, close: bool = False) -> None:
        self.send_response_only(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)
        self.wfile.flush()


class HttpEndpoint:
    """A KMS endpoint on `host:port` (loopback, a free port by default) in front of one protocol."""

    name = "http"

    def __init__(
        self,
        protocol: Protocol,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        control: Control | None = None,
    ) -> None:
        self.protocol = protocol
        self.control = control
        self.host = host
        self.port = port
        self.timeout = timeout
        # Access key ID -> secret: the fake's throwaway pair unless told otherwise.
        self.credentials = dict(credentials or {FAKE_ACCESS_KEY_ID: FAKE_SECRET_ACCESS_KEY})
        self.errors: list[str] = []  # anything that went wrong serving, for tests and reports
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._served = 0
        self._busy = 0
        self._idle = threading.Condition()
        self._simulated: _SimulatedTimes | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the KMS endpoint is not running")
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def requests_served(self) -> int:
        """Requests answered by an operation (not refused by routing, size or signature)."""
        return self._served

    def count_request(self) -> None:
        with self._idle:
            self._served += 1

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Marks one request being answered, so `close` lets it finish."""
        with self._idle:
            self._busy += 1
        try:
            yield
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def use(self, protocol: Protocol) -> None:
        """Answer from now on with another protocol (the standalone server's reset); a request
        already being answered finishes with the one it started with."""
        with self._idle:
            if self._simulated is not None:
                self.protocol.engine.clock.unsubscribe(self._simulated.moved)
                self._simulated = _SimulatedTimes(protocol.engine.clock)
                protocol.engine.clock.subscribe(self._simulated.moved)
            self.protocol = protocol

    def signing_times(self) -> tuple[tuple[datetime, datetime], ...]:
        """Signing times are current within five minutes of real time (children sign with it) or
        of the simulated clock (this process's clients sign with it under freezegun)."""
        now = real_now()
        spans = [(now, now)]
        if self._simulated is not None:
            spans.append(self._simulated.span())
        return tuple(spans)

    def secret_for(self, access_key: str) -> str | None:
        """The secret of a key the endpoint knows: its own pairs, or one the fake issued to a principal."""
        known = self.credentials.get(access_key)
        if known is not None:
            return known
        issued = self.protocol.engine.issued_credentials(access_key)
        return issued.secret_access_key if issued is not None else None

    @property
    def is_open(self) -> bool:
        return self._server is not None

    def open(self) -> None:
        if self._server is not None:
            return
        self._simulated = _SimulatedTimes(self.protocol.engine.clock)
        self.protocol.engine.clock.subscribe(self._simulated.moved)
        server = _Server(self, (self.host, self.port))
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name=f"kmsrotate-endpoint-{server.server_address[1]}", daemon=True)
        thread.start()
        self._server, self._thread = server, thread

    def close(self, *, grace: float = 5.0) -> None:
        """Stop accepting, let requests whose bodies arrived finish, release the port."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        if self._simulated is not None:
            self.protocol.engine.clock.unsubscribe(self._simulated.moved)
        server.shutdown()
        server.server_close()
        with server.connections_lock:
            connections = list(server.connections)
        for connection in connections:
            # Reading ends (idle keep-alive connections wake and close); an answer being written still goes out.
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RD)
        # threading's waits keep real time under freezegun (its default ignore list has threading).
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0, timeout=grace)
        if thread is not None:
            thread.join(grace)
