"""Worker processes that exit when the run that started them dies.

A ``ProcessPoolExecutor`` worker is an ordinary child process: if its parent
is killed with ``SIGKILL`` (an out-of-memory killer, a batch queue's time
limit, ``kill -9``), the pool's clean-up never runs and the worker is
reparented and lives on, holding its simulation's memory (about 220 MB for a
closed-loop Brian2 evaluator) until it finishes its batch or forever if it
waits for work.  :func:`die_with_parent`, given to the pool as its
``initializer``, makes each worker exit with its parent in two ways:

* on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` (through :mod:`ctypes`): the
  kernel kills the worker the moment the parent dies, even while the worker
  runs compiled code;
* everywhere, a daemon thread checks every second whether the parent is
  still the one that started the worker, and ends the worker if not (the
  fallback where ``prctl`` is unavailable).

References
----------
.. [1] prctl(2), Linux man-pages: ``PR_SET_PDEATHSIG``.
"""

import ctypes
import os
import signal
import sys
import threading
import time

__all__ = ["die_with_parent", "set_parent_death_signal"]

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def set_parent_death_signal(signal_number=signal.SIGKILL):
    """Ask Linux to send ``signal_number`` to this process when its parent dies.

    Returns
    -------
    bool
        Whether the kernel accepted the request (False off Linux).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal_number), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid, interval):
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(interval)


def die_with_parent(parent_pid, interval=1.0):
    """Initializer of worker processes: make this process exit when ``parent_pid`` dies.

    Parameters
    ----------
    parent_pid : int
        Process id of the parent, read in the parent (``os.getpid()``) and
        passed through the pool's ``initargs``.
    interval : float
        Seconds between checks of the fallback watcher thread.

    Examples
    --------
    ``ProcessPoolExecutor(initializer=die_with_parent, initargs=(os.getpid(),))``
    """
    set_parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before the signal was set up
        os._exit(1)
    watcher = threading.Thread(target=_watch_parent, args=(parent_pid, interval), daemon=True,
                               name="neuroworm-parent-watch")
    watcher.start()
