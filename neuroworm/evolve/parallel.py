"""Batched evaluation of a population, in-process or scaled out.

An evaluate function takes a genome matrix of shape (B, D) and returns B
fitness values.  :class:`BatchEvaluation` splits a population into batches
of ``batch_size`` individuals, hands them to a ``map`` and reassembles the
fitness vector.  The map can be

* ``None`` -- the builtin :func:`map`, in this process;
* ``"process"`` -- a :class:`concurrent.futures.ProcessPoolExecutor`
  (``spawn`` start method, so it is safe next to threads; as with any
  ``spawn`` pool, a script must call :func:`~neuroworm.evolve.run` under
  ``if __name__ == "__main__":``);
* ``"dask"`` -- a new ``dask.distributed.LocalCluster`` and its client (its
  workers exit if this process is killed, see
  :mod:`neuroworm.evolve.dask_lifetime`);
* a ``dask.distributed.Client`` -- used as is (the caller owns it);
* a scheduler address such as ``"tcp://10.0.0.5:8786"`` -- a client to it;
* any callable ``map(function, iterable)``, e.g. ``toolbox.map``.

Dask is imported only when one of the Dask options is used.  Results do not
depend on the map: the batches, the order of the results and the function
applied to each batch are the same.  They do not depend on ``batch_size``
either, provided the evaluate function treats each row on its own (a
batched matrix product can round differently for different batch shapes).
Dask reschedules the batch of a worker that dies, so a lost worker costs
time, not results.
"""

import inspect
import math
import os
import uuid
import warnings

import numpy as np

from ..errors import ConfigError
from ..validation import check_positive_int

#: Seconds to wait for a Dask scheduler given by address before giving up.
DASK_CONNECT_TIMEOUT = 10

__all__ = ["BatchEvaluation", "EvaluateBatch", "accepts_seeds", "open_map"]


def accepts_seeds(evaluate):
    """Whether ``evaluate`` takes a keyword argument named ``seeds``."""
    try:
        parameters = inspect.signature(evaluate).parameters
    except (TypeError, ValueError):
        return False
    return "seeds" in parameters


_BUILT_IN_THIS_PROCESS = {}
"""The evaluate callable this worker process last received, by the token of its :class:`BatchEvaluation`.

A process or Dask worker receives a fresh unpickled copy of the evaluate
callable with every batch. An :class:`EvaluateBatch` unpickled here keeps
the copy an earlier batch of the same evaluation brought, with whatever it
built (a closed-loop evaluator's network and environments), instead of its
own fresh copy, so a worker builds its simulation once per run, not once per
batch. Only the latest evaluation's callable is kept, to bound memory.
"""


class EvaluateBatch:
    """Picklable callable applying ``evaluate`` to one batch.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(genomes)`` or ``evaluate(genomes, seeds=seeds)``; it must
        be picklable (a module-level function or object) for process and
        Dask maps.
    pass_seeds : bool
        Whether to pass the batch's evaluation seeds.
    token : str, optional
        Identifies the evaluation across batches: where one is given, a
        worker keeps using the first copy of ``evaluate`` it unpickled for
        that token (see :data:`_BUILT_IN_THIS_PROCESS`).
    """

    def __init__(self, evaluate, pass_seeds, token=None):
        self.evaluate = evaluate
        self.pass_seeds = pass_seeds
        self.token = token

    def __setstate__(self, state):
        self.__dict__.update(state)
        token = state.get("token")
        if token is None:
            return
        if token in _BUILT_IN_THIS_PROCESS:
            self.evaluate = _BUILT_IN_THIS_PROCESS[token]
        else:
            _BUILT_IN_THIS_PROCESS.clear()
            _BUILT_IN_THIS_PROCESS[token] = self.evaluate

    def __call__(self, batch):
        genomes, seeds = batch
        if self.pass_seeds:
            fitness = self.evaluate(genomes, seeds=seeds)
        else:
            fitness = self.evaluate(genomes)
        fitness = np.asarray(fitness, dtype=np.float64)
        if fitness.shape != (genomes.shape[0],):
            raise ConfigError(
                f"evaluate returned fitness of shape {fitness.shape} for a batch of "
                f"{genomes.shape[0]} genomes; expected ({genomes.shape[0]},)"
            )
        return fitness


class _DaskMap:
    """``map(function, batches)`` on a Dask client, gathered in order."""

    def __init__(self, client):
        self.client = client

    def __call__(self, function, iterable):
        futures = self.client.map(function, list(iterable), pure=False)
        return self.client.gather(futures)


class _ExecutorMap:
    def __init__(self, executor):
        self.executor = executor

    def __call__(self, function, iterable):
        return list(self.executor.map(function, iterable))


def _is_dask_client(candidate):
    return type(candidate).__module__.startswith("distributed") and hasattr(candidate, "gather")


class open_map:
    """Context manager resolving the ``map`` argument of :func:`~neuroworm.evolve.run`.

    Parameters
    ----------
    map : None, str, dask.distributed.Client or callable
        See the module docstring.
    workers : int, optional
        Workers of a ``"process"`` pool or a ``"dask"`` LocalCluster
        (default: the number of CPUs).

    Attributes
    ----------
    function : callable
        ``function(func, iterable)`` returning an iterable of results.
    workers : int or None
        Number of workers, where known.

    Examples
    --------
    >>> with open_map(None) as mapper:
    ...     list(mapper.function(abs, [-1, 2]))
    [1, 2]
    """

    def __init__(self, map=None, workers=None):
        self.map = map
        self.requested_workers = workers
        self.workers = None
        self.function = None
        self._closers = []

    def __enter__(self):
        spec = self.map
        if spec is None:
            self.function, self.workers = _builtin_map, 1
        elif isinstance(spec, str) and spec == "process":
            import concurrent.futures
            import multiprocessing

            self.workers = self.requested_workers or os.cpu_count() or 1
            from .worker_lifetime import die_with_parent

            executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=die_with_parent, initargs=(os.getpid(),),  # no orphans if this process is killed
            )
            self._closers.append(lambda: executor.shutdown(wait=True, cancel_futures=True))
            self.function = _ExecutorMap(executor)
        elif isinstance(spec, str) and spec == "dask":
            from dask.distributed import Client, LocalCluster

            from .dask_lifetime import DieWithParent

            self.workers = self.requested_workers or os.cpu_count() or 1
            cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=None,
                plugins=[DieWithParent(os.getpid())],  # no orphans if this process is killed, even mid-batch
            )
            self._closers.append(cluster.close)
            client = Client(cluster)
            self._closers.append(client.close)
            self.function = _DaskMap(client)
        elif isinstance(spec, str) and "://" in spec:
            from dask.distributed import Client

            try:
                client = Client(spec, timeout=DASK_CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as error:
                raise ConfigError(
                    f"cannot reach the Dask scheduler at {spec} within {DASK_CONNECT_TIMEOUT} s ({error}); "
                    "is it running, and is the address tcp://host:port right?"
                ) from error
            self._closers.append(client.close)
            self.workers = len(client.scheduler_info().get("workers", {})) or None
            self.function = _DaskMap(client)
        elif _is_dask_client(spec):
            self.workers = len(spec.scheduler_info().get("workers", {})) or None
            self.function = _DaskMap(spec)
        elif callable(spec):
            self.function = spec
        else:
            raise ConfigError(
                f"map must be None, 'process', 'dask', a dask.distributed.Client, a scheduler address "
                f"'tcp://host:port' or a callable map(function, iterable); got {spec!r}"
            )
        return self

    def __exit__(self, *exc_info):
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception as error:  # noqa: BLE001 - closing must not hide the run's own error
                warnings.warn(f"could not close the evaluation map cleanly: {error!r}", stacklevel=2)
        return False


def _builtin_map(function, iterable):
    return [function(item) for item in iterable]


class BatchEvaluation:
    """Evaluate genome matrices in batches through a map.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(genomes (B, D)) -> (B,)``, higher is better; if it accepts
        a keyword ``seeds`` it also receives one integer seed per genome.
    map_function : callable
        ``map(function, iterable)`` (see :class:`open_map`).
    batch_size : int, optional
        Individuals per batch.  Default: the whole population in one batch
        for an in-process map, else enough batches for four per worker
        (eight batches if the number of workers is unknown).
    workers : int, optional
        Number of workers behind ``map_function``, for the default batch size.
    """

    def __init__(self, evaluate, map_function=_builtin_map, batch_size=None, workers=None):
        if batch_size is not None:
            batch_size = check_positive_int("batch_size", batch_size)
        self.evaluate = evaluate
        self.pass_seeds = accepts_seeds(evaluate)
        self.map_function = map_function
        self.batch_size = None if batch_size is None else int(batch_size)
        self.workers = workers
        self.token = uuid.uuid4().hex  # lets workers keep what they built across batches

    def batch_size_for(self, n_individuals):
        """The batch size used for a population of ``n_individuals``."""
        if self.batch_size is not None:
            return self.batch_size
        if self.map_function is _builtin_map:
            return max(n_individuals, 1)
        batches = 4 * self.workers if self.workers else 8
        return max(1, math.ceil(n_individuals / batches))

    def __call__(self, genomes, seeds=None):
        """Fitness of each row of ``genomes`` (NaN is returned as is).

        Parameters
        ----------
        genomes : numpy.ndarray, shape (P, D)
        seeds : numpy.ndarray of int, shape (P,), optional
            Evaluation seeds, passed on when ``evaluate`` accepts them.

        Returns
        -------
        numpy.ndarray, shape (P,)
        """
        genomes = np.asarray(genomes, dtype=np.float64)
        n_individuals = genomes.shape[0]
        if n_individuals == 0:
            return np.zeros(0)
        size = self.batch_size_for(n_individuals)
        batches = [
            (genomes[start : start + size], None if seeds is None else seeds[start : start + size])
            for start in range(0, n_individuals, size)
        ]
        results = list(self.map_function(EvaluateBatch(self.evaluate, self.pass_seeds, self.token), batches))
        if len(results) != len(batches):
            raise ConfigError(f"the map returned {len(results)} results for {len(batches)} batches")
        return np.concatenate([np.asarray(result, dtype=np.float64) for result in results])
