"""Worker processes exit with the run that started them; an unreachable Dask scheduler is a clean error."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import neuroworm
from neuroworm.errors import ConfigError
from neuroworm.evolve import parallel

REPOSITORY = Path(neuroworm.__file__).resolve().parent.parent


def _environment():
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPOSITORY), os.environ.get("PYTHONPATH", "")]))


def _alive(pid):
    """Whether ``pid`` runs (a zombie waiting for a reaper counts as dead)."""
    try:
        with open(f"/proc/{pid}/status") as stream:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in stream)
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_process_pool_workers_die_when_the_run_is_killed(tmp_path):
    script = tmp_path / "owner.py"
    script.write_text(textwrap.dedent(
        """
        import os, sys, time
        from neuroworm.evolve.parallel import open_map

        def pid_after(seconds):
            time.sleep(seconds)
            return os.getpid()

        if __name__ == "__main__":
            with open_map("process", workers=2) as mapper:
                print(*mapper.function(pid_after, [0.5, 0.5]), flush=True)
                list(mapper.function(pid_after, [600, 600]))  # busy when the owner is killed
        """
    ))
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, env=_environment())
    workers = []
    try:
        workers = [int(pid) for pid in owner.stdout.readline().split()]
        assert len(workers) >= 1, "the pool reported no workers"
        time.sleep(0.3)
        assert all(_alive(pid) for pid in workers)
    finally:
        survivors = _kill_and_list_survivors(owner, workers)
    assert not survivors, f"workers {survivors} outlived their killed parent"


def _kill_and_list_survivors(owner, workers, grace=10.0):
    """SIGKILL ``owner``; the ``workers`` still alive ``grace`` s later (then killed, so none is left behind)."""
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    owner.stdout.close()
    deadline = time.monotonic() + grace
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in workers if _alive(pid)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    return survivors


def test_a_worker_whose_parent_is_already_gone_exits_at_once():
    code = ("from neuroworm.evolve.worker_lifetime import die_with_parent, set_parent_death_signal\n"
            "print(set_parent_death_signal(), flush=True)\n"
            "die_with_parent(-1)\n"
            "print('still here')")
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_environment(),
                              check=False, timeout=60)
    assert finished.returncode == 1 and "still here" not in finished.stdout
    assert finished.stdout.split() == [str(sys.platform.startswith("linux"))]  # prctl accepted on Linux


def test_an_unreachable_dask_scheduler_is_a_config_error(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(parallel, "DASK_CONNECT_TIMEOUT", 2)
    started = time.monotonic()
    with (pytest.raises(ConfigError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
          parallel.open_map("tcp://127.0.0.1:9")):
        pass
    assert time.monotonic() - started < 30


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_local_dask_cluster_workers_die_when_the_run_is_killed_mid_batch(tmp_path):
    """Dask's own parent watch is a thread that needs the GIL; a batch holding it must not keep the worker alive."""
    pytest.importorskip("distributed")
    script = tmp_path / "owner.py"
    script.write_text(textwrap.dedent(
        """
        import os, time
        from neuroworm.evolve.parallel import open_map

        def pid_after(seconds):
            time.sleep(seconds)
            return os.getpid()

        def hold_the_gil(_):
            return sum(range(10**13))  # one C loop: no other thread of the worker runs for hours

        if __name__ == "__main__":
            with open_map("dask", workers=2) as mapper:
                print(*mapper.function(pid_after, [0.5, 0.5]), flush=True)
                list(mapper.function(hold_the_gil, [0, 1]))  # busy when the owner is killed
        """
    ))
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env=_environment())
    workers = []
    try:
        workers = [int(pid) for pid in owner.stdout.readline().split()]
        assert len(workers) >= 1, "the cluster reported no workers"
        assert os.getpid() not in workers and owner.pid not in workers  # real worker processes
        time.sleep(1.0)  # the batches have started
        assert all(_alive(pid) for pid in workers)
    finally:
        survivors = _kill_and_list_survivors(owner, workers)
    assert not survivors, f"Dask workers {survivors} outlived their killed parent"
