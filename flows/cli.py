"""`xlm`: the command line. Each sub-command lives beside its flow (`add_cli(subparsers)` in the
flow module) and runs that flow; with no Prefect server configured, Prefect's ephemeral API is used."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

# Flow modules that contribute sub-commands, in the order `xlm --help` lists them.
COMMAND_MODULES = [
    "flows.build_dataset",
    "flows.train_vocab",
    "flows.pretrain",
    "flows.evaluate_xnli",
    "flows.pipeline",
]


def _quiet_prefect(argv: list[str]) -> None:
    """Prefect logs every task state at INFO; on a terminal the progress bars say it better.
    `-v` (or PREFECT_LOGGING_LEVEL) brings them back."""
    if "-v" not in argv and "--verbose" not in argv:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # The temporary local API (no server configured) gets 20 s to start by default, too short on
    # a busy 2-core machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    # The temporary server would otherwise try to send usage telemetry on every start.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xlm",
        description="xlm-pipeline: raw dumps -> dataset -> vocabulary -> pretraining -> XNLI.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show Prefect's task-level logs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that stage is not built yet
                continue
            raise
        module.add_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _quiet_prefect(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, PermissionError) as exc:
        # Bad input: one clear line, not a traceback.
        print(f"xlm {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
