"""Brian2 code-generation targets for neuroworm networks, with IEEE-exact arithmetic.

:func:`code_object_class` gives the code object class a runtime network's
objects are made with: Brian2's NumPy target, or its Cython target compiled
without ``-ffast-math`` and without FMA contraction (:data:`EXACT_FLAGS`),
so that compiled code performs exactly the floating-point operations the
NumPy reference performs. The standalone devices use the same flags
(:func:`neuroworm.brian.standalone.exact_compiler_flags`).
"""

from ..errors import ConfigError

__all__ = ["CODEGEN_TARGETS", "EXACT_FLAGS", "code_object_class"]

CODEGEN_TARGETS = ("cython", "numpy")


def code_object_class(codegen):
    """Brian2 code object class for a code generation target (``"cython"`` or ``"numpy"``)."""
    if codegen == "numpy":
        from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

        return NumpyCodeObject
    if codegen == "cython":
        return _exact_cython_code_object()
    raise ConfigError(f"unknown code generation target {codegen!r}; known: {', '.join(CODEGEN_TARGETS)}")


_EXACT_CYTHON = []
EXACT_FLAGS = ["-fno-fast-math", "-ffp-contract=off"]


def _exact_cython_code_object():
    """Brian2's Cython code object, compiled with IEEE-exact arithmetic.

    Brian2 compiles with ``-ffast-math`` (and ``-march=native``, which lets GCC
    fuse ``a*b + c`` into one FMA instruction); both change the rounding of
    the update's operations, and in the Izhikevich model (whose Euler map
    expands differences for v > -62.5 mV) such 1e-16 differences grow to
    1e-5 within a few hundred steps. This subclass drops ``-ffast-math`` and
    adds ``-ffp-contract=off`` for the objects of neuroworm networks only, so
    compiled code performs exactly the operations the NumPy reference does.
    """
    if not _EXACT_CYTHON:
        from brian2.codegen.runtime.cython_rt import CythonCodeObject
        from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager

        class ExactCythonCodeObject(CythonCodeObject):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                flags = [f for f in self.extra_compile_args if f != "-ffast-math"]
                self.extra_compile_args = flags + EXACT_FLAGS

            def compile_block(self, block):
                # Brian2 caches compiled modules by their code, not their flags: mark the code.
                code = getattr(self.code, block, "").strip()
                if not code or "EMPTY_CODE_BLOCK" in code:
                    return None
                return cython_extension_manager.create_extension(
                    code + "\n# neuroworm exact arithmetic: " + " ".join(EXACT_FLAGS) + "\n",
                    define_macros=self.define_macros, libraries=self.libraries,
                    extra_compile_args=self.extra_compile_args, extra_link_args=self.extra_link_args,
                    include_dirs=self.include_dirs, library_dirs=self.library_dirs,
                    runtime_library_dirs=self.runtime_library_dirs, compiler=self.compiler,
                    owner_name=f"{self.owner.name}_{self.template_name}", sources=self.sources,
                )

        _EXACT_CYTHON.append(ExactCythonCodeObject)
    return _EXACT_CYTHON[0]
