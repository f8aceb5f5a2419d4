"""Dask workers of a local cluster that exit when the run that started them dies.

A ``dask.distributed.LocalCluster`` with ``processes=True`` starts each
worker as a child of the run's own process (its nannies live in the run).
Dask already ends such a worker when the run goes away: a thread of the
worker blocks on a pipe whose other end only the run holds, and calls
``os._exit`` when the pipe closes (distributed pull request #1345).  That
thread needs the GIL, and a batch that holds it -- compiled simulation code,
a long NumPy or builtin loop -- keeps it waiting; when the run is killed
with ``SIGKILL`` such a worker is reparented and computes on, holding its
memory, until its batch ends (forever, for a long one).

:class:`DieWithParent` is a Dask ``WorkerPlugin``, given to the cluster's
workers when they are built (``LocalCluster(plugins=...)``, passed on to
every ``Worker``, so also to workers a nanny restarts).  Its ``setup`` runs
:func:`~neuroworm.evolve.worker_lifetime.die_with_parent` in the worker:
``prctl(PR_SET_PDEATHSIG, SIGKILL)`` on Linux, so the kernel kills the
worker the moment the run dies whatever the worker is doing, and a watcher
thread elsewhere.

This module imports ``distributed``; :mod:`neuroworm.evolve.parallel`
imports it only when it starts a local cluster.

References
----------
.. [1] Dask distributed, "Exit workers immediately if parent process
   exits", pull request #1345 (2017).
.. [2] prctl(2), Linux man-pages: ``PR_SET_PDEATHSIG``.
"""

from distributed import WorkerPlugin

from .worker_lifetime import die_with_parent

__all__ = ["DieWithParent"]


class DieWithParent(WorkerPlugin):
    """Worker plugin: the worker exits when the process ``parent_pid`` dies.

    Parameters
    ----------
    parent_pid : int
        Process id of the process that starts the worker processes (the one
        holding the ``LocalCluster``), read there with ``os.getpid()``.

    Examples
    --------
    ``LocalCluster(n_workers=2, processes=True, plugins=[DieWithParent(os.getpid())])``
    """

    name = "neuroworm-die-with-parent"

    def __init__(self, parent_pid):
        self.parent_pid = int(parent_pid)

    def setup(self, worker):
        """Set the parent-death signal and start the watcher in this worker process."""
        die_with_parent(self.parent_pid)
