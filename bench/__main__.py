"""``python -m bench [NAME] [OPTIONS]``: every benchmark, or the one named."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from . import board, outcomes, pk, schedule

BENCHMARKS: dict[str, Callable[[Sequence[str]], None]] = {
    "board": board.main,
    "outcomes": outcomes.main,
    "pk": pk.main,
    "schedule": schedule.main,
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run every benchmark, or the one named. Options after the name go "
        "to that benchmark (python -m bench pk --help).",
    )
    parser.add_argument("name", nargs="?", choices=sorted(BENCHMARKS))
    parser.add_argument("options", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    for name in [args.name] if args.name else sorted(BENCHMARKS):
        BENCHMARKS[name](args.options)


if __name__ == "__main__":
    main()
