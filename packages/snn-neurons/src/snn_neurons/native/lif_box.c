/* Whole-sequence LIF box loops (LIF without synaptic current) for CPU tensors, called through ctypes.
 *
 * The forward step repeats snn_neurons.functional.lif_box_feed_forward_step's rounding order:
 * v1 = v + a((x + v_leak) - v), z = [v1 - v_th > 0], then the reset method's arithmetic,
 *   value (subtract = 0):    v' = (1 - z) v1 + z v_reset,
 *   subtract (subtract = 1): v' = (1 - z) v1 + z (v1 - v_th),
 * with a = dt tau_mem_inv. v1 is saved per step; with s = sigma'(v1 - v_th) the backward pass is
 *   g_v1 = k g_v' + s g_z,  g_x = a g_v1,  g_v = (1 - a) g_v1,
 *   k = (v_reset - v1) s + (1 - z)  (value),  k = ((v1 - v_th) - v1) s + 1  (subtract).
 */
#include "_common.h"

#define LIF_BOX_STEP(T)                                                                         \
    T v1 = v[k] + a * ((x[k] + v_leak) - v[k]);                                                 \
    T spike = SNN_SPIKE(T, v1 - v_th);                                                          \
    v[k] = subtract ? ((T)1 - spike) * v1 + spike * (v1 - v_th)                                 \
                    : ((T)1 - spike) * v1 + spike * v_reset;                                    \
    z[k] = spike;

#define DEFINE_LIF_BOX(T, SUFFIX)                                                               \
void snn_lif_box_forward_##SUFFIX(int64_t steps, int64_t n, const T *restrict xs,              \
                                  const T *restrict v0, T *restrict v, T *restrict zs,          \
                                  T *restrict v1s, T a, T v_leak, T v_th, T v_reset,            \
                                  int subtract)                                                 \
{                                                                                               \
    memcpy(v, v0, (size_t)n * sizeof(T));                                                       \
    SNN_FORWARD_LOOP(T, LIF_BOX_STEP)                                                           \
}                                                                                               \
                                                                                                \
static inline void lif_box_backward_##SUFFIX##_kind(int kind, int64_t steps, int64_t n,          \
        const T *restrict v1s, const T *restrict g_zs, T *restrict g_xs, T *restrict g_v,        \
        T a, T v_th, T v_reset, T alpha, T sqrt_pi, int subtract)                                \
{                                                                                               \
    const T keep = (T)1 - a;                                                                    \
    for (int64_t t = steps - 1; t >= 0; --t) {                                                  \
        const T *restrict v1 = v1s + t * n;                                                     \
        const T *restrict gz = g_zs ? g_zs + t * n : NULL;                                      \
        T *restrict gx = g_xs + t * n;                                                          \
        for (int64_t k = 0; k < n; ++k) {                                                       \
            T x = v1[k] - v_th;                                                                 \
            T s = surrogate_##SUFFIX(kind, x, alpha, sqrt_pi);                                  \
            T factor = subtract ? (x - v1[k]) * s + (T)1                                        \
                                : (v_reset - v1[k]) * s + (x > 0 ? (T)0 : (T)1);                \
            T g_v1 = factor * g_v[k];                                                           \
            if (gz) g_v1 += s * gz[k];                                                          \
            gx[k] = a * g_v1;                                                                   \
            g_v[k] = keep * g_v1;                                                               \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* g_v: the final state's gradient on entry, the initial state's on exit; g_zs may be NULL. */  \
void snn_lif_box_backward_##SUFFIX(int kind, int64_t steps, int64_t n, const T *v1s,           \
                                   const T *g_zs, T *g_xs, T *g_v, T a, T v_th, T v_reset,      \
                                   T alpha, T sqrt_pi, int subtract)                            \
{                                                                                               \
    SNN_SWITCH_SURROGATE(kind, lif_box_backward_##SUFFIX##_kind, steps, n, v1s, g_zs, g_xs,      \
                         g_v, a, v_th, v_reset, alpha, sqrt_pi, subtract)                       \
}

DEFINE_LIF_BOX(float, f32)
DEFINE_LIF_BOX(double, f64)
