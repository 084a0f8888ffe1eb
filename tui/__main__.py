"""The `micrograd-tui` entry: arguments -> the app or the headless run."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tui.cli import parse_args


def main(argv: Sequence[str] | None = None) -> int:
    args, config = parse_args(argv)
    if args.headless:
        from tui.headless import run

        try:
            return run(config, args.steps, args.eval_every)
        except BrokenPipeError:  # e.g. piped into `head`
            sys.stderr.close()
            return 0
        except KeyboardInterrupt:
            return 130
    from tui.app import run_app

    return run_app(config)


if __name__ == "__main__":
    sys.exit(main())
