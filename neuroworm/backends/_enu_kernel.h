/* Fused element-wise work of one ENU step (Bertens & Lee 2019, eq. 1), float32.
 *
 * The gate products run in BLAS (NumPy's matmul); what follows them in
 * ENULayer.step is three tanh passes and about ten element-wise passes over
 * the gate values and memories.  These loops do that work in two passes that
 * each read their operands once, so a step streams its arrays once instead of
 * ~13 times.  The compiler vectorises every loop (no calls, no branches); all
 * multiply-adds are explicit fmaf() and the build turns off contraction, so a
 * vector lane and the scalar remainder round identically and an element's
 * result does not depend on where in a row it sits.
 *
 * nw_expm1: exp(y) - 1 by the usual reduction exp(y) = 2^k exp(r),
 * |r| <= ln(2)/2, with ln 2 split in two parts (Cody & Waite) and
 * exp(r) - 1 by its Taylor polynomial to r^7 (truncation < 1e-8 relative).
 * nw_tanh (the cell gate): -m / (2 + m) with m = expm1(-2|x|), the sign
 * restored, |x| clamped at 9 (where float32 tanh is 1): one formula from 0
 * to 9 with no cancellation near 0.  NaN stays NaN, +-inf gives +-1.
 * nw_half_one_plus_tanh (the update and reset gates, which NumPy's path
 * forms as (1 + tanh)/2): 1 / (1 + exp(-2x)) = 1 / (2 + expm1(-2x)).
 * Against float64 on 4 million points in [-20, 20] and 200,000 from 1e-30 to
 * 20 of either sign: at most 2 and 3 units in the last place
 * (tests/backends/test_enu_kernel.py).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* exp(y) - 1 = 2^k (q + 1) - 1 = 2^k q + (2^k - 1), q = exp(r) - 1, for |y| <= 80 (the callers clamp):
 * |r| <= ln(2)/2, k in [-116, 116]; 2^k - 1 is exact for k >= -24, so near 0 (k = 0) the result keeps q's
 * relative accuracy and needs no second formula */
static inline float nw_expm1(float y) {
    float kf = rintf(y * 1.44269504088896341f);
    float r = fmaf(-kf, 0.693145751953125f, y); /* ln 2, high part: exact in float32 */
    r = fmaf(-kf, 1.428606765330187e-06f, r);   /* ln 2, low part */
    float q = 1.0f / 5040.0f;
    q = fmaf(q, r, 1.0f / 720.0f);
    q = fmaf(q, r, 1.0f / 120.0f);
    q = fmaf(q, r, 1.0f / 24.0f);
    q = fmaf(q, r, 1.0f / 6.0f);
    q = fmaf(q, r, 0.5f);
    q = fmaf(q * r, r, r);
    int32_t bits = ((int32_t)kf + 127) << 23; /* 2^k */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return fmaf(scale, q, scale - 1.0f);
}

/* tanh x = -m / (2 + m) with m = expm1(-2|x|), the sign restored (|x| clamped at 9, where float32 tanh is 1) */
static inline float nw_tanh(float x) {
    float a = fabsf(x);
    a = a > 9.0f ? 9.0f : a; /* a NaN fails the comparison and stays NaN */
    float m = nw_expm1(-2.0f * a);
    return copysignf(-m / (2.0f + m), x);
}

/* (1 + tanh x) / 2 = 1 / (1 + exp(-2x)), the gates' sigmoid of 2x, without tanh's cancellation near -1 */
static inline float nw_half_one_plus_tanh(float x) {
    x = x > 40.0f ? 40.0f : x;
    x = x < -40.0f ? -40.0f : x;
    return 1.0f / (2.0f + nw_expm1(-2.0f * x));
}

static void nw_tanh_row(const float *restrict x, float *restrict out, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) out[i] = nw_tanh(x[i]);
}

static void nw_half_one_plus_tanh_row(const float *restrict x, float *restrict out, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) out[i] = nw_half_one_plus_tanh(x[i]);
}

/* After the update and reset products: g = (1 + tanh(a_r)) h = 2 r h, the cell gate's input in place of
 * r h (ENULayer halves the cell gate's rows that read h). */
static void nw_reset_row(const float *restrict a_r, const float *restrict h, float *restrict g, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) g[i] = nw_half_one_plus_tanh(a_r[i]) * (h[i] + h[i]);
}

/* After the cell product: h += z (tanh(a_c) - h) with z = (1 + tanh(a_z)) / 2, written to h and to the gates' input g. */
static void nw_update_row(const float *restrict a_z, const float *restrict a_c, float *restrict h,
                          float *restrict g, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) {
        float m = h[i];
        float v = fmaf(nw_half_one_plus_tanh(a_z[i]), nw_tanh(a_c[i]) - m, m);
        h[i] = v;
        g[i] = v;
    }
}

/* After the output product: o = clip(o + offset, 0, 1) (offset may be NULL). */
static void nw_output_row(float *restrict o, const float *restrict offset, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) {
        float v = offset ? o[i] + offset[i] : o[i];
        v = v < 0.0f ? 0.0f : v;
        o[i] = v > 1.0f ? 1.0f : v;
    }
}
