"""The console script's launcher: Ctrl-C while the package loads is one line and status 130, not a traceback."""

import subprocess
import sys
import textwrap

import neuroworm_launcher

# The child sends itself SIGINT at the moment the package's import reaches NumPy, i.e. in the middle of
# importing neuroworm.cli: the window no handler inside the package can cover.
CHILD = textwrap.dedent("""
    import importlib.abc, os, signal, sys
    import neuroworm_launcher

    class InterruptAtNumpy(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "numpy":
                os.kill(os.getpid(), signal.SIGINT)
            return None

    sys.meta_path.insert(0, InterruptAtNumpy())
    sys.exit(neuroworm_launcher.main(["connectomes"]))
""")


def test_ctrl_c_while_the_package_imports_prints_one_line_and_exits_130():
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 130, done.stderr
    assert done.stderr == "neuroworm: interrupted while starting; nothing was run\n"
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_the_launcher_runs_the_command_line_and_gives_back_python_s_handler(capsys):
    import signal

    before = signal.getsignal(signal.SIGINT)  # Python's, or one a library imported earlier installed (Brian2 does)
    assert neuroworm_launcher.main(["connectomes"]) == 0
    assert "cook2019_hermaphrodite" in capsys.readouterr().out
    assert signal.getsignal(signal.SIGINT) is before
