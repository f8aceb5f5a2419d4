# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Compiled element-wise work of :class:`neuroworm.backends.enu.ENULayer` (see ``_enu_kernel.h``).

Built on first use by :mod:`neuroworm.backends.enu_kernel`; import that, not this.
"""

cimport numpy as cnp

cnp.import_array()

cdef extern from "_enu_kernel.h":
    void nw_tanh_row(const float *x, float *out, Py_ssize_t n) nogil
    void nw_half_one_plus_tanh_row(const float *x, float *out, Py_ssize_t n) nogil
    void nw_reset_row(const float *a_r, const float *h, float *g, Py_ssize_t n) nogil
    void nw_update_row(const float *a_z, const float *a_c, float *h, float *g, Py_ssize_t n) nogil
    void nw_output_row(float *o, const float *offset, Py_ssize_t n) nogil


cdef _check_pair(cnp.ndarray x, cnp.ndarray out):
    if x.dtype.num != cnp.NPY_FLOAT32 or out.dtype.num != cnp.NPY_FLOAT32 or x.size != out.size \
            or not x.flags.c_contiguous or not out.flags.c_contiguous:
        raise ValueError("expected C-contiguous float32 arrays of one size")


def tanh(cnp.ndarray x, cnp.ndarray out):
    """``out[...] = tanh(x)`` with the kernel's float32 tanh (both C-contiguous float32, same size)."""
    _check_pair(x, out)
    with nogil:
        nw_tanh_row(<const float *> cnp.PyArray_DATA(x), <float *> cnp.PyArray_DATA(out), x.size)


def half_one_plus_tanh(cnp.ndarray x, cnp.ndarray out):
    """``out[...] = (1 + tanh(x)) / 2`` as the kernel's gates compute it, ``1 / (1 + exp(-2x))``."""
    _check_pair(x, out)
    with nogil:
        nw_half_one_plus_tanh_row(<const float *> cnp.PyArray_DATA(x), <float *> cnp.PyArray_DATA(out), x.size)


cdef float *_rows(cnp.ndarray a, Py_ssize_t rows, Py_ssize_t row, Py_ssize_t *stride) except NULL:
    # a (rows, ...) float32 array whose every row is one contiguous run of `row` values
    if a.dtype.num != cnp.NPY_FLOAT32 or a.ndim != 3 or a.shape[0] != rows or a.shape[1] * a.shape[2] != row \
            or a.strides[2] != 4 or a.strides[1] != 4 * a.shape[2] or a.strides[0] % 4:
        raise ValueError(f"expected float32 rows of {row} contiguous values, got {a.dtype} {(<object> a).shape} {(<object> a).strides}")
    stride[0] = a.strides[0] // 4
    return <float *> cnp.PyArray_DATA(a)


cdef class Block:
    """One block of offspring: the arrays its steps read and write, fixed at construction.

    ``update``, ``reset``, ``candidate`` and ``memory`` are (B, M, U), ``gate_memory`` the memory rows of
    the gates' input (B, M, U) and ``output`` (B, C, U); each offspring's part of each must be contiguous.
    The arrays are kept alive here; their shapes and strides must not change afterwards.
    """

    cdef object _keep
    cdef float *z
    cdef float *r
    cdef float *c
    cdef float *h
    cdef float *g
    cdef float *o
    cdef Py_ssize_t rows, n, n_out, z_stride, r_stride, c_stride, h_stride, g_stride, o_stride

    def __init__(self, cnp.ndarray update, cnp.ndarray reset, cnp.ndarray candidate, cnp.ndarray memory,
                 cnp.ndarray gate_memory, cnp.ndarray output):
        self._keep = (update, reset, candidate, memory, gate_memory, output)
        self.rows = update.shape[0]
        self.n = update.shape[1] * update.shape[2]
        self.n_out = output.shape[1] * output.shape[2]
        self.z = _rows(update, self.rows, self.n, &self.z_stride)
        self.r = _rows(reset, self.rows, self.n, &self.r_stride)
        self.c = _rows(candidate, self.rows, self.n, &self.c_stride)
        self.h = _rows(memory, self.rows, self.n, &self.h_stride)
        self.g = _rows(gate_memory, self.rows, self.n, &self.g_stride)
        self.o = _rows(output, self.rows, self.n_out, &self.o_stride)

    def reset(self):
        """After the update and reset products: the cell gate's input ``(1 + tanh a_r) h``."""
        cdef Py_ssize_t j
        with nogil:
            for j in range(self.rows):
                nw_reset_row(self.r + j * self.r_stride, self.h + j * self.h_stride, self.g + j * self.g_stride,
                             self.n)

    def update(self):
        """After the cell product: the new memory, in ``memory`` and in the gates' input."""
        cdef Py_ssize_t j
        with nogil:
            for j in range(self.rows):
                nw_update_row(self.z + j * self.z_stride, self.c + j * self.c_stride, self.h + j * self.h_stride,
                              self.g + j * self.g_stride, self.n)

    def output(self, cnp.ndarray offset=None):
        """After the output product: ``clip(o + offset, 0, 1)``; ``offset`` None, (1, C, U) or (B, C, U)."""
        cdef Py_ssize_t j, step = 0
        cdef const float *base = NULL
        if offset is not None:
            base = _rows(offset, offset.shape[0], self.n_out, &step)
            if offset.shape[0] == 1:
                step = 0
            elif offset.shape[0] != self.rows:
                raise ValueError(f"offset has {offset.shape[0]} rows for a block of {self.rows}")
        with nogil:
            for j in range(self.rows):
                nw_output_row(self.o + j * self.o_stride, base + j * step if base != NULL else NULL, self.n_out)
