/* Whole-sequence leaky-integrator (LI) loops for CPU tensors, called through ctypes.
 *
 * The forward step repeats snn_neurons.functional.li_feed_forward_step's rounding order (compiled
 * with -ffp-contract=off): j = i + x, v' = v + a((v_leak - v) + j), i' = j + c j with a = dt tau_mem_inv,
 * c = -dt tau_syn_inv; the output is v'. The map is linear, so the backward pass needs no saved
 * tensor. Arrays are contiguous [T, N] rows.
 */
#include "_common.h"

#define DEFINE_LI(T, SUFFIX)                                                                    \
void snn_li_forward_##SUFFIX(int64_t steps, int64_t n, const T *restrict xs,                   \
                             const T *restrict v0, const T *restrict i0, T *restrict v,         \
                             T *restrict i, T *restrict outs, T a, T c, T v_leak)               \
{                                                                                               \
    memcpy(v, v0, (size_t)n * sizeof(T));                                                       \
    memcpy(i, i0, (size_t)n * sizeof(T));                                                       \
    for (int64_t t = 0; t < steps; ++t) {                                                       \
        const T *restrict x = xs + t * n;                                                       \
        T *restrict out = outs + t * n;                                                         \
        for (int64_t k = 0; k < n; ++k) {                                                       \
            T j = i[k] + x[k];                                                                  \
            T v1 = v[k] + a * ((v_leak - v[k]) + j);                                            \
            i[k] = j + c * j;                                                                   \
            v[k] = v1;                                                                          \
            out[k] = v1;                                                                        \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* g_v, g_i: gradients of the final state on entry, of the initial state on exit. g_outs may be */ \
/* NULL (only the final state is used). kind is unused (no threshold): the common signature. */ \
void snn_li_backward_##SUFFIX(int kind, int64_t steps, int64_t n, const T *restrict g_outs,     \
                              T *restrict g_xs, T *restrict g_v, T *restrict g_i, T a, T c)     \
{                                                                                               \
    (void)kind;                                                                                 \
    const T keep = (T)1 - a, decay = (T)1 + c;                                                  \
    for (int64_t t = steps - 1; t >= 0; --t) {                                                  \
        const T *restrict go = g_outs ? g_outs + t * n : NULL;                                  \
        T *restrict gx = g_xs + t * n;                                                          \
        for (int64_t k = 0; k < n; ++k) {                                                       \
            T g_v1 = g_v[k];                                                                    \
            if (go) g_v1 += go[k];                                                              \
            T g_j = a * g_v1 + decay * g_i[k];                                                  \
            gx[k] = g_j;                                                                        \
            g_v[k] = keep * g_v1;                                                               \
            g_i[k] = g_j;                                                                       \
        }                                                                                       \
    }                                                                                           \
}

DEFINE_LI(float, f32)
DEFINE_LI(double, f64)
