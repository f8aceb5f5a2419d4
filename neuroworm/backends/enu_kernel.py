"""The compiled element-wise kernel of :class:`~neuroworm.backends.enu.ENULayer`, built on first use.

One ENU step is four batched gate products (BLAS) and element-wise work:
three ``tanh`` passes and about ten passes of gating and memory update.  With
NumPy each pass streams its arrays through the cache again, and for a single
ENU (the IAF and STDP mimic tasks) those passes cost as much as the products.
``_enu_kernel.h`` fuses them into two loops with a vectorisable float32
``tanh`` (at most 3 units in the last place), and ``_enu_kernel.pyx`` wraps
them for the layer.

Like Brian2's Cython target, the kernel is compiled on first use with the
machine's own C compiler (Cython and a compiler are what Brian2 needs too)
for the machine's own instruction set (``-march=native``), and cached in
``$NEUROWORM_CACHE_DIR`` (default ``~/.cache/neuroworm``) under a key of the
sources, the flags, the Python, NumPy and Cython versions and the CPU's
feature flags, so a home folder shared between machines never loads a build
for another processor.  A build takes a few seconds, once; concurrent
processes wait on a file lock for the first build.

Where it cannot be built, :func:`load` raises and ``ENULayer(kernel="auto")``
falls back to NumPy with one warning.  The kernel's results are not bit for
bit NumPy's (its ``tanh`` rounds differently); ``tests/backends/
test_enu_kernel.py`` holds the two within float32 rounding, and runs
evolved with one kernel reproduce exactly with that kernel.  Setting
``NEUROWORM_ENU_KERNEL=numpy`` makes NumPy the default everywhere.
"""

import contextlib
import hashlib
import importlib.machinery
import importlib.util
import io
import os
import platform
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from ..errors import ConfigError

__all__ = ["FLAGS", "KERNELS", "cache_folder", "default_kernel", "load", "resolve"]

FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off")
"""C compiler flags.  ``-ffp-contract=off``: only the source's explicit ``fmaf`` fuse, so vector lanes and the
scalar remainder round alike and an offspring's result does not depend on its place in a block."""

KERNELS = ("auto", "compiled", "numpy")
"""Values of ``ENULayer(kernel=...)``: the compiled kernel where it builds (else NumPy), it or an error, NumPy."""

_SOURCES = ("_enu_kernel.pyx", "_enu_kernel.h")
_NAME = "_enu_kernel"
_state = {}


def cache_folder():
    """Where compiled kernels are kept: ``$NEUROWORM_CACHE_DIR`` or ``~/.cache/neuroworm``, then ``enu_kernel``."""
    root = os.environ.get("NEUROWORM_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache",
                                                         "neuroworm")
    return Path(root).expanduser() / "enu_kernel"


def default_kernel():
    """``$NEUROWORM_ENU_KERNEL`` if set (one of :data:`KERNELS`), else ``"auto"``."""
    kernel = os.environ.get("NEUROWORM_ENU_KERNEL", "auto")
    if kernel not in KERNELS:
        raise ConfigError(f"NEUROWORM_ENU_KERNEL={kernel!r}: expected one of {', '.join(KERNELS)}")
    return kernel


def _cpu_flags():
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith(("flags", "Features")):
                    return line
    except OSError:
        pass
    return platform.processor()


def _key():
    import Cython

    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    for part in (FLAGS, sys.version, np.__version__, Cython.__version__, platform.machine(), _cpu_flags()):
        digest.update(repr(part).encode())
    return digest.hexdigest()[:16]


def _build(folder):
    """Compile the extension into ``folder`` (through a temporary folder beside it, then an atomic rename)."""
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension

    here = Path(__file__).parent
    scratch = Path(tempfile.mkdtemp(prefix="build-", dir=folder.parent))
    try:
        for name in _SOURCES:
            shutil.copy(here / name, scratch / name)
        extension = Extension(_NAME, [str(scratch / f"{_NAME}.pyx")], include_dirs=[np.get_include(), str(scratch)],
                              extra_compile_args=list(FLAGS),
                              define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")])
        log = io.StringIO()
        try:
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                # no build_dir: Cython would mirror the sources' path relative to the working folder under it,
                # which can climb out of the scratch folder; the generated C file stays beside the .pyx instead
                modules = cythonize([extension], quiet=True, language_level=3)
                distribution = Distribution({"name": _NAME, "ext_modules": modules, "script_args": ["-q"]})
                command = distribution.get_command_obj("build_ext")
                command.build_lib, command.build_temp = str(scratch / "lib"), str(scratch / "temp")
                distribution.run_command("build_ext")
        except Exception as error:
            raise RuntimeError(f"{type(error).__name__}: {error}; build log: {log.getvalue()[-2000:]}") from error
        built = list((scratch / "lib").glob(f"{_NAME}*"))
        if len(built) != 1:
            raise RuntimeError(f"the build left {built} ({log.getvalue()[-2000:]})")
        staged = scratch / "staged"
        staged.mkdir()
        shutil.copy(built[0], staged / built[0].name)
        os.replace(staged, folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def load():
    """The compiled kernel module, built into :func:`cache_folder` the first time.

    Returns
    -------
    module
        With ``tanh(x, out)`` and ``Block`` (see ``_enu_kernel.pyx``).

    Raises
    ------
    ConfigError
        Where it cannot be built or loaded (no compiler, no Cython, a failed
        build); the message carries the cause.  The failure is remembered for
        the rest of the process.
    """
    if "module" in _state:
        return _state["module"]
    if "error" in _state:
        raise ConfigError(_state["error"])
    try:
        from filelock import FileLock

        folder = cache_folder() / _key()
        folder.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder) + ".lock"):
            if not any(folder.glob(f"{_NAME}*")):  # never built, or its module was deleted
                shutil.rmtree(folder, ignore_errors=True)
                _build(folder)
        path = next(folder.glob(f"{_NAME}*"))
        loader = importlib.machinery.ExtensionFileLoader(_NAME, str(path))
        spec = importlib.util.spec_from_file_location(_NAME, path, loader=loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    except Exception as error:  # any build failure means "use NumPy", with the cause
        _state["error"] = f"the compiled ENU kernel is unavailable ({type(error).__name__}: {error})"
        raise ConfigError(_state["error"]) from error
    _state["module"] = module
    return module


def resolve(kernel, dtype, xp):
    """The kernel a layer runs: ``"compiled"`` or ``"numpy"`` for a requested one of :data:`KERNELS` (or None).

    ``"auto"`` is the compiled kernel for float32 NumPy arrays where it loads, NumPy otherwise (with one
    warning if the build failed); ``"compiled"`` raises :class:`ConfigError` where it cannot run.
    """
    kernel = default_kernel() if kernel is None else kernel
    if kernel not in KERNELS:
        raise ConfigError(f"kernel={kernel!r}: expected one of {', '.join(KERNELS)}")
    if kernel == "numpy":
        return "numpy"
    suitable = xp is np and np.dtype(dtype) == np.float32
    if kernel == "compiled" and not suitable:
        raise ConfigError(f"kernel='compiled' runs float32 NumPy arrays only, not {np.dtype(dtype)} with "
                          f"{getattr(xp, '__name__', xp)}")
    if not suitable:
        return "numpy"
    try:
        load()
    except ConfigError as error:
        if kernel == "compiled":
            raise
        if not _state.get("warned"):
            _state["warned"] = True
            warnings.warn(f"{error}; ENU layers run NumPy's element-wise passes instead", RuntimeWarning,
                          stacklevel=3)
        return "numpy"
    return "compiled"
