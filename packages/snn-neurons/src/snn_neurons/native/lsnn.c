/* Whole-sequence LSNN loops (LIF with an adaptive threshold b) for CPU tensors, called through ctypes.
 *
 * The forward step repeats snn_neurons.functional.lsnn_feed_forward_step's rounding order (the input
 * is added to the current last):
 *   v1 = v + a((v_leak - v) + i),  i1 = i + c i,  b1 = b + d(v_th - b),  z = [v1 - b1 > 0],
 *   v' = (1 - z) v1 + z v_reset,  b' = b1 + z beta,  i' = i1 + x,
 * with a = dt tau_mem_inv, c = -dt tau_syn_inv, d = dt tau_adapt_inv. v1 and b1 are saved per step;
 * with s = sigma'(v1 - b1) the backward pass is
 *   u = (g_z + g_v' (v_reset - v1) + g_b' beta) s,  g_v1 = (1 - z) g_v' + u,  g_x = g_i',
 *   g_v = (1 - a) g_v1,  g_i = a g_v1 + (1 + c) g_i',  g_b = (1 - d)(g_b' - u).
 */
#include "_common.h"

#define LSNN_STEP(T)                                                                            \
    T v1 = v[k] + a * ((v_leak - v[k]) + i[k]);                                                 \
    T i1 = i[k] + c * i[k];                                                                     \
    T b1 = b[k] + d * (v_th - b[k]);                                                            \
    T spike = SNN_SPIKE(T, v1 - b1);                                                            \
    v[k] = ((T)1 - spike) * v1 + spike * v_reset;                                               \
    b[k] = b1 + spike * beta;                                                                   \
    i[k] = i1 + x[k];                                                                           \
    z[k] = spike;

#define DEFINE_LSNN(T, SUFFIX)                                                                  \
void snn_lsnn_forward_##SUFFIX(int64_t steps, int64_t n, const T *restrict xs,                 \
                               const T *restrict v0, const T *restrict i0, const T *restrict b0, \
                               T *restrict v, T *restrict i, T *restrict b, T *restrict zs,     \
                               T *restrict v1s, T *restrict b1s, T a, T c, T d, T v_leak,       \
                               T v_th, T v_reset, T beta)                                       \
{                                                                                               \
    memcpy(v, v0, (size_t)n * sizeof(T));                                                       \
    memcpy(i, i0, (size_t)n * sizeof(T));                                                       \
    memcpy(b, b0, (size_t)n * sizeof(T));                                                       \
    for (int64_t t = 0; t < steps; ++t) {                                                       \
        const T *restrict x = xs + t * n;                                                       \
        T *restrict z = zs + t * n;                                                             \
        if (v1s) {                                                                              \
            T *restrict out_v = v1s + t * n;                                                    \
            T *restrict out_b = b1s + t * n;                                                    \
            for (int64_t k = 0; k < n; ++k) { LSNN_STEP(T) out_v[k] = v1; out_b[k] = b1; }      \
        } else {                                                                                \
            for (int64_t k = 0; k < n; ++k) { LSNN_STEP(T) }                                    \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
static inline void lsnn_backward_##SUFFIX##_kind(int kind, int64_t steps, int64_t n,             \
        const T *restrict v1s, const T *restrict b1s, const T *restrict g_zs, T *restrict g_xs,  \
        T *restrict g_v, T *restrict g_i, T *restrict g_b, T a, T c, T d, T v_reset, T beta,     \
        T alpha, T sqrt_pi)                                                                      \
{                                                                                               \
    const T keep_v = (T)1 - a, decay = (T)1 + c, keep_b = (T)1 - d;                             \
    for (int64_t t = steps - 1; t >= 0; --t) {                                                  \
        const T *restrict v1 = v1s + t * n;                                                     \
        const T *restrict b1 = b1s + t * n;                                                     \
        const T *restrict gz = g_zs ? g_zs + t * n : NULL;                                      \
        T *restrict gx = g_xs + t * n;                                                          \
        for (int64_t k = 0; k < n; ++k) {                                                       \
            T x = v1[k] - b1[k];                                                                \
            T s = surrogate_##SUFFIX(kind, x, alpha, sqrt_pi);                                  \
            T g_z = g_v[k] * (v_reset - v1[k]) + g_b[k] * beta;                                 \
            if (gz) g_z += gz[k];                                                               \
            T u = g_z * s;                                                                      \
            T g_v1 = (x > 0 ? (T)0 : (T)1) * g_v[k] + u;                                        \
            gx[k] = g_i[k];                                                                     \
            g_b[k] = keep_b * (g_b[k] - u);                                                     \
            g_i[k] = a * g_v1 + decay * g_i[k];                                                 \
            g_v[k] = keep_v * g_v1;                                                             \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* g_v, g_i, g_b: the final state's gradients on entry, the initial state's on exit. */         \
void snn_lsnn_backward_##SUFFIX(int kind, int64_t steps, int64_t n, const T *v1s, const T *b1s, \
                                const T *g_zs, T *g_xs, T *g_v, T *g_i, T *g_b, T a, T c, T d,  \
                                T v_reset, T beta, T alpha, T sqrt_pi)                          \
{                                                                                               \
    SNN_SWITCH_SURROGATE(kind, lsnn_backward_##SUFFIX##_kind, steps, n, v1s, b1s, g_zs, g_xs,    \
                         g_v, g_i, g_b, a, c, d, v_reset, beta, alpha, sqrt_pi)                 \
}

DEFINE_LSNN(float, f32)
DEFINE_LSNN(double, f64)
