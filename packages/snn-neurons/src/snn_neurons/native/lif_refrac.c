/* Whole-sequence refractory LIF loops (lif_refrac) for CPU tensors, called through ctypes.
 *
 * The forward step repeats snn_neurons.functional.lif_refrac_feed_forward_step's rounding order: the
 * LIF step (j = i + x, v1 = v + a((v_leak - v) + j), i' = j + c j, z0 = [v1 - v_th > 0],
 * v0 = (1 - z0) v1 + z0 v_reset), then the refractory update
 *   m = [rho > 0],  v' = (1 - m) v0 + m v,  z = (1 - m) z0,  rho' = (1 - z) relu(rho - m) + z rho_reset.
 * The voltage and counter entering each step and v1 are saved. With s0 = sigma'(v1 - v_th),
 * sm = sigma'(rho) (the mask goes through the threshold too) and R = [rho - m > 0], the backward pass is
 *   g_zt = g_z + g_rho' (rho_reset - relu(rho - m)),
 *   g_v1 = (1 - m)(g_v' ((1 - z0) + (v_reset - v1) s0) + g_zt s0),
 *   g_m = g_v' (v - v0) - g_zt z0 - g_rho' (1 - z) R,   g_rho = g_rho' (1 - z) R + g_m sm,
 *   g_v = (1 - a) g_v1 + m g_v',   g_x = g_i = a g_v1 + (1 + c) g_i'.
 */
#include "_common.h"

#define LIF_REFRAC_STEP(T)                                                                      \
    T v_in = v[k], rho_in = rho[k];                                                             \
    T j = i[k] + x[k];                                                                          \
    T v1 = v_in + a * ((v_leak - v_in) + j);                                                    \
    i[k] = j + c * j;                                                                           \
    T z0 = SNN_SPIKE(T, v1 - v_th);                                                             \
    T v0 = ((T)1 - z0) * v1 + z0 * v_reset;                                                     \
    T m = SNN_SPIKE(T, rho_in);                                                                 \
    v[k] = ((T)1 - m) * v0 + m * v_in;                                                          \
    T spike = ((T)1 - m) * z0;                                                                  \
    T rest = rho_in - m;                                                                        \
    rest = rest < 0 ? (T)0 : rest; /* relu; NaN stays NaN as in torch.relu */                   \
    rho[k] = ((T)1 - spike) * rest + spike * rho_reset;                                         \
    z[k] = spike;

#define DEFINE_LIF_REFRAC(T, SUFFIX)                                                            \
void snn_lif_refrac_forward_##SUFFIX(int64_t steps, int64_t n, const T *restrict xs,           \
        const T *restrict v_0, const T *restrict i_0, const T *restrict rho_0, T *restrict v,    \
        T *restrict i, T *restrict rho, T *restrict zs, T *restrict v_ins, T *restrict v1s,      \
        T *restrict rho_ins, T a, T c, T v_leak, T v_th, T v_reset, T rho_reset)                 \
{                                                                                               \
    memcpy(v, v_0, (size_t)n * sizeof(T));                                                      \
    memcpy(i, i_0, (size_t)n * sizeof(T));                                                      \
    memcpy(rho, rho_0, (size_t)n * sizeof(T));                                                  \
    for (int64_t t = 0; t < steps; ++t) {                                                       \
        const T *restrict x = xs + t * n;                                                       \
        T *restrict z = zs + t * n;                                                             \
        if (v1s) {                                                                              \
            T *restrict out_v_in = v_ins + t * n;                                               \
            T *restrict out_v1 = v1s + t * n;                                                   \
            T *restrict out_rho_in = rho_ins + t * n;                                           \
            for (int64_t k = 0; k < n; ++k) {                                                   \
                LIF_REFRAC_STEP(T)                                                              \
                out_v_in[k] = v_in;                                                             \
                out_v1[k] = v1;                                                                 \
                out_rho_in[k] = rho_in;                                                         \
            }                                                                                   \
        } else {                                                                                \
            for (int64_t k = 0; k < n; ++k) { LIF_REFRAC_STEP(T) }                              \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
static inline void lif_refrac_backward_##SUFFIX##_kind(int kind, int64_t steps, int64_t n,       \
        const T *restrict v_ins, const T *restrict v1s, const T *restrict rho_ins,               \
        const T *restrict g_zs, T *restrict g_xs, T *restrict g_v, T *restrict g_i,              \
        T *restrict g_rho, T a, T c, T v_th, T v_reset, T rho_reset, T alpha, T sqrt_pi)         \
{                                                                                               \
    const T keep = (T)1 - a, decay = (T)1 + c;                                                  \
    for (int64_t t = steps - 1; t >= 0; --t) {                                                  \
        const T *restrict vs_in = v_ins + t * n;                                                \
        const T *restrict v1 = v1s + t * n;                                                     \
        const T *restrict rhos_in = rho_ins + t * n;                                            \
        const T *restrict gz = g_zs ? g_zs + t * n : NULL;                                      \
        T *restrict gx = g_xs + t * n;                                                          \
        for (int64_t k = 0; k < n; ++k) {                                                       \
            T x0 = v1[k] - v_th;                                                                \
            T s0 = surrogate_##SUFFIX(kind, x0, alpha, sqrt_pi);                                \
            T sm = surrogate_##SUFFIX(kind, rhos_in[k], alpha, sqrt_pi);                        \
            T z0 = SNN_SPIKE(T, x0);                                                            \
            T m = SNN_SPIKE(T, rhos_in[k]);                                                     \
            T free_ = (T)1 - m;                                                                 \
            T not_spiked = (T)1 - free_ * z0;                                                   \
            T v0 = ((T)1 - z0) * v1[k] + z0 * v_reset;                                          \
            T shifted = rhos_in[k] - m;                                                         \
            T rest = shifted < 0 ? (T)0 : shifted;                                              \
            T held = not_spiked * (shifted > 0 ? (T)1 : (T)0);                                  \
            T g_zt = g_rho[k] * (rho_reset - rest);                                             \
            if (gz) g_zt += gz[k];                                                              \
            T g_v1 = free_ * (g_v[k] * (((T)1 - z0) + (v_reset - v1[k]) * s0) + g_zt * s0);     \
            T g_m = g_v[k] * (vs_in[k] - v0) - g_zt * z0 - g_rho[k] * held;                     \
            T g_j = a * g_v1 + decay * g_i[k];                                                  \
            g_rho[k] = g_rho[k] * held + g_m * sm;                                              \
            g_v[k] = keep * g_v1 + m * g_v[k];                                                  \
            gx[k] = g_j;                                                                        \
            g_i[k] = g_j;                                                                       \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* g_v, g_i, g_rho: the final state's gradients on entry, the initial state's on exit. */       \
void snn_lif_refrac_backward_##SUFFIX(int kind, int64_t steps, int64_t n, const T *v_ins,      \
        const T *v1s, const T *rho_ins, const T *g_zs, T *g_xs, T *g_v, T *g_i, T *g_rho, T a,   \
        T c, T v_th, T v_reset, T rho_reset, T alpha, T sqrt_pi)                                 \
{                                                                                               \
    SNN_SWITCH_SURROGATE(kind, lif_refrac_backward_##SUFFIX##_kind, steps, n, v_ins, v1s,        \
                         rho_ins, g_zs, g_xs, g_v, g_i, g_rho, a, c, v_th, v_reset, rho_reset,  \
                         alpha, sqrt_pi)                                                        \
}

DEFINE_LIF_REFRAC(float, f32)
DEFINE_LIF_REFRAC(double, f64)
