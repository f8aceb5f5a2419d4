"""The ``neuroworm`` console script's first step: Ctrl-C while the package loads prints one line and exits 130.

Importing :mod:`neuroworm.cli` loads NumPy, pandas and SciPy (about a second) before the command line can catch
anything; a SIGINT in that window used to surface as a ``KeyboardInterrupt`` traceback from inside whichever C
extension was loading (once a segmentation fault). This module imports nothing heavy: it installs a handler that
writes one line and leaves with status 130 (``os._exit``: no exception is raised inside a half-initialised
extension), imports the command line, gives Python its own handler back (from then on the CLI turns Ctrl-C into a
saved checkpoint and its own line), and runs it. It lives outside the package because importing any
``neuroworm.*`` module first imports the package itself.
"""

import os
import signal
import sys

__all__ = ["main"]


def _interrupted_while_loading(signum, frame):
    os.write(2, b"neuroworm: interrupted while starting; nothing was run\n")
    os._exit(130)


def main(argv=None):
    """Run ``neuroworm.cli.main(argv)`` with Ctrl-C during its import answered by one line and status 130."""
    previous = signal.signal(signal.SIGINT, _interrupted_while_loading)
    try:
        from neuroworm.cli import main as cli_main
    finally:
        signal.signal(signal.SIGINT, previous)
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
