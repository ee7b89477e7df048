"""`kmsrotate serve`: the fake as a local KMS endpoint, until SIGTERM or SIGINT.

    kmsrotate serve --port 4599 [--host 127.0.0.1] [--region us-east-1] [--account-id ...]
                    [--start 2024-01-01T00:00:00Z] [--on-demand-limit 10]

Prints one line once it listens (`kmsrotate: serving KMS on http://127.0.0.1:4599 ...`), so a
test runner can wait for it and read the port (`--port 0` picks a free one). On SIGTERM or SIGINT
it stops accepting, lets requests in flight finish, releases the port and exits 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from types import FrameType

from .._adapters.http_endpoint import CONTROL_PREFIX, HttpEndpoint
from .._core.config import Config
from .._core.defaults import DEFAULT_ACCOUNT_ID, DEFAULT_ON_DEMAND_LIMIT, DEFAULT_REGION, DEFAULT_START
from .._protocol.respond import Protocol
from .._pytest_plugin.fake import KmsRotation
from .._pytest_plugin.settings import SettingsError, parse_account, parse_int, parse_region, parse_start
from . import state
from .control import Control
from .state import Journal


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kmsrotate", description="pytest-kmsrotate's fake AWS KMS, standalone.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the fake as a KMS endpoint with a control API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: loopback only)")
    serve.add_argument("--port", default="4599", help="port to listen on (0: a free one; default 4599)")
    serve.add_argument("--region", default=DEFAULT_REGION, help=f"the default region (default {DEFAULT_REGION})")
    serve.add_argument("--account-id", default=DEFAULT_ACCOUNT_ID, help="the account the fake answers for")
    serve.add_argument("--start", default=DEFAULT_START.isoformat().replace("+00:00", "Z"),
                       help="where the simulated clock starts (ISO 8601 with a time zone)")
    serve.add_argument("--state", default=None, metavar="FILE",
                       help="load the fake's state from FILE on start (if it exists) and save it there on shutdown; "
                            "a loaded file's settings win over the options above")
    serve.add_argument("--on-demand-limit", default=str(DEFAULT_ON_DEMAND_LIMIT),
                       help=f"on-demand rotations allowed per key (default {DEFAULT_ON_DEMAND_LIMIT})")
    return parser


def _config(args: argparse.Namespace) -> Config:
    return Config(
        account_id=parse_account(args.account_id, "--account-id"),
        region=parse_region(args.region, "--region"),
        on_demand_limit=parse_int(args.on_demand_limit, "--on-demand-limit"),
        start=parse_start(args.start, "--start"),
        # The server's clock moves only through the control API, not with its clients' sleeps, so a
        # client polling a new replica would wait for ever: replicas are Enabled at once here.
        replication_delay=timedelta(0),
        seed="kmsrotate serve",
    )


def serve(args: argparse.Namespace) -> int:
    try:
        config = _config(args)
        port = parse_int(args.port, "--port")
    except SettingsError as error:
        print(f"kmsrotate: {error}", file=sys.stderr)
        return 2
    state_path = Path(args.state) if args.state else None
    document = None
    journal = Journal()
    try:
        if state_path is not None and state_path.exists():
            document = state.read(state_path)
            config = state.config_of(state_path, document)
    except state.StateFileError as error:
        print(f"kmsrotate: {error}; nothing was overwritten", file=sys.stderr)
        return 2
    endpoint: HttpEndpoint | None = None

    def reset(protocol: Protocol) -> None:
        if endpoint is not None:
            endpoint.use(protocol)

    control = Control(config, on_reset=reset, journal=journal)
    if document is not None and state_path is not None:
        fake = KmsRotation(config, freeze_time=False, patch_sleep=False)
        try:
            state.replay(state_path, document, fake, journal)
        except state.StateFileError as error:
            print(f"kmsrotate: {error}; nothing was overwritten", file=sys.stderr)
            return 2
        control.adopt(fake)
        print(f"kmsrotate: loaded {state_path} ({len(journal.entries)} events replayed)", flush=True)
    endpoint = HttpEndpoint(control.protocol, host=args.host, port=port, control=control)
    try:
        endpoint.open()
    except OSError as error:
        print(f"kmsrotate: cannot listen on {args.host}:{port}: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, _: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        print(f"kmsrotate: serving KMS on {endpoint.url} (control API under {endpoint.url}{CONTROL_PREFIX}); "
              "SIGTERM or Ctrl-C stops it", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        endpoint.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if state_path is not None:
        state.save(state_path, control.config, control.fake.engine, journal)
        print(f"kmsrotate: state saved to {state_path}", flush=True)
    print("kmsrotate: stopped", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
