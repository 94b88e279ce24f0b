/* Adaptive exponential LIF (lif_adex) for CPU tensors, one step per call, called through ctypes.
 *
 * As in lif_ex.c the exponential is torch's (torch.exp differs from libm's exp in the last bit for
 * about 1% of arguments): the caller runs, per step,
 *   torch.exp(arg, out=e);  snn_lif_adex_step(args, t)
 * and this file does the rest of snn_neurons.functional.lif_adex_feed_forward_step in its rounding
 * order (w is the adaptation current, the state field ``a``):
 *   j = i + x,  v1 = v + a_m((((v_leak - v) + delta_T e) + j) - w),  i' = j + c j,
 *   w1 = w + d(A_c (v - v_leak) - w),  z = [v1 - v_th > 0],  v' = (1 - z) v1 + z v_reset,
 *   w' = w1 + z A_s,  and the next argument (v' - v_th) / delta_T,
 * with a_m = dt tau_mem_inv, c = -dt tau_syn_inv, d = dt tau_ada_inv. v1 and e are saved per step;
 * with s = sigma'(v1 - v_th) the backward pass is
 *   u = (g_z + g_v' (v_reset - v1) + g_w' A_s) s,  g_v1 = (1 - z) g_v' + u,
 *   g_x = g_i = a_m g_v1 + (1 + c) g_i',  g_v = (1 + a_m (e - 1)) g_v1 + d A_c g_w',
 *   g_w = (1 - d) g_w' - a_m g_v1.
 */
#include "_common.h"

#define LIF_ADEX_ARGS(T)                                                                        \
    struct {                                                                                    \
        int64_t n;                                                                              \
        const T *xs;                                                                            \
        T *v, *i, *w, *zs, *v1s, *es;                                                           \
        const T *e; /* torch.exp(arg) of this step */                                           \
        T *arg;                                                                                 \
        T a, c, d, v_leak, v_th, v_reset, delta_t, adaptation_current, adaptation_spike;        \
    }

#define LIF_ADEX_STEP(T)                                                                        \
    T v_in = v[k];                                                                              \
    T j = i[k] + x[k];                                                                          \
    T v1 = v_in + a * ((((v_leak - v_in) + delta_t * e[k]) + j) - w[k]);                        \
    i[k] = j + c * j;                                                                           \
    T w1 = w[k] + d * (a_c * (v_in - v_leak) - w[k]);                                           \
    T spike = SNN_SPIKE(T, v1 - v_th);                                                          \
    T v2 = ((T)1 - spike) * v1 + spike * v_reset;                                               \
    v[k] = v2;                                                                                  \
    w[k] = w1 + spike * a_s;                                                                    \
    z[k] = spike;                                                                               \
    arg[k] = (v2 - v_th) / delta_t;

#define DEFINE_LIF_ADEX(T, SUFFIX)                                                              \
typedef LIF_ADEX_ARGS(T) lif_adex_args_##SUFFIX;                                                \
                                                                                                \
static inline void lif_adex_arg_##SUFFIX(int64_t n, const T *restrict v, T *restrict arg, T v_th, \
                                       T delta_t)                                               \
{                                                                                               \
    for (int64_t k = 0; k < n; ++k) arg[k] = (v[k] - v_th) / delta_t;                           \
}                                                                                               \
                                                                                                \
/* The exponential's argument for the initial state (the caller has copied it into v). */       \
void snn_lif_adex_begin_##SUFFIX(const lif_adex_args_##SUFFIX *p)                               \
{                                                                                               \
    lif_adex_arg_##SUFFIX(p->n, p->v, p->arg, p->v_th, p->delta_t);                             \
}                                                                                               \
                                                                                                \
/* One step; restrict-qualified parameters (not locals read from the struct) let gcc vectorise. */ \
static inline void lif_adex_step_##SUFFIX##_loop(int64_t n, const T *restrict x,                \
        const T *restrict e, T *restrict v, T *restrict i, T *restrict w, T *restrict z,        \
        T *restrict v1s, T *restrict es, T *restrict arg, T a, T c, T d, T v_leak, T v_th,      \
        T v_reset, T delta_t, T a_c, T a_s)                                                     \
{                                                                                               \
    if (v1s) {                                                                                  \
        for (int64_t k = 0; k < n; ++k) { LIF_ADEX_STEP(T) v1s[k] = v1; es[k] = e[k]; }         \
    } else {                                                                                    \
        for (int64_t k = 0; k < n; ++k) { LIF_ADEX_STEP(T) }                                    \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* Step t, after the caller has written torch.exp(arg) into e. */                               \
void snn_lif_adex_step_##SUFFIX(const lif_adex_args_##SUFFIX *p, int64_t t)                     \
{                                                                                               \
    const int64_t n = p->n;                                                                     \
    lif_adex_step_##SUFFIX##_loop(n, p->xs + t * n, p->e, p->v, p->i, p->w, p->zs + t * n,      \
                                  p->v1s ? p->v1s + t * n : NULL, p->es ? p->es + t * n : NULL, \
                                  p->arg, p->a, p->c, p->d, p->v_leak, p->v_th, p->v_reset,     \
                                  p->delta_t, p->adaptation_current, p->adaptation_spike);      \
}                                                                                               \
                                                                                                \
static inline void lif_adex_backward_##SUFFIX##_kind(int kind, int64_t steps, int64_t n,        \
        const T *restrict v1s, const T *restrict es, const T *restrict g_zs, T *restrict g_xs,  \
        T *restrict g_v, T *restrict g_i, T *restrict g_w, T a, T c, T d, T v_th, T v_reset,    \
        T a_c, T a_s, T alpha, T sqrt_pi)                                                       \
{                                                                                               \
    const T decay = (T)1 + c, keep_w = (T)1 - d, w_to_v = d * a_c;                              \
    for (int64_t t = steps - 1; t >= 0; --t) {                                                  \
        const T *restrict v1 = v1s + t * n;                                                     \
        const T *restrict e = es + t * n;                                                       \
        const T *restrict gz = g_zs ? g_zs + t * n : NULL;                                      \
        T *restrict gx = g_xs + t * n;                                                          \
        for (int64_t k = 0; k < n; ++k) {                                                       \
            T x = v1[k] - v_th;                                                                 \
            T s = surrogate_##SUFFIX(kind, x, alpha, sqrt_pi);                                  \
            T g_z = g_v[k] * (v_reset - v1[k]) + g_w[k] * a_s;                                  \
            if (gz) g_z += gz[k];                                                               \
            T g_v1 = (x > 0 ? (T)0 : (T)1) * g_v[k] + g_z * s;                                  \
            T g_j = a * g_v1 + decay * g_i[k];                                                  \
            gx[k] = g_j;                                                                        \
            g_i[k] = g_j;                                                                       \
            g_v[k] = ((T)1 + a * (e[k] - (T)1)) * g_v1 + w_to_v * g_w[k];                       \
            g_w[k] = keep_w * g_w[k] - a * g_v1;                                                \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* g_v, g_i, g_w: the final state's gradients on entry, the initial state's on exit. */         \
void snn_lif_adex_backward_##SUFFIX(int kind, int64_t steps, int64_t n, const T *v1s,           \
                                    const T *es, const T *g_zs, T *g_xs, T *g_v, T *g_i,        \
                                    T *g_w, T a, T c, T d, T v_th, T v_reset, T a_c, T a_s,     \
                                    T alpha, T sqrt_pi)                                         \
{                                                                                               \
    SNN_SWITCH_SURROGATE(kind, lif_adex_backward_##SUFFIX##_kind, steps, n, v1s, es, g_zs, g_xs, \
                         g_v, g_i, g_w, a, c, d, v_th, v_reset, a_c, a_s, alpha, sqrt_pi)       \
}

DEFINE_LIF_ADEX(float, f32)
DEFINE_LIF_ADEX(double, f64)
