/* Exponential LIF (lif_ex) for CPU tensors, one step per call, called through ctypes.
 *
 * The step's exponential is torch's: torch.exp on CPU (vectorised, SLEEF-style) differs from libm's
 * exp in the last bit for about 1% of arguments, so the caller runs, per step,
 *   torch.exp(arg, out=e);  snn_lif_ex_step(args, t)
 * and this file does the rest of the step in snn_neurons.functional.lif_ex_feed_forward_step's
 * rounding order:
 *   j = i + x,  v1 = v + a(((v_leak - v) + delta_T e) + j),  i' = j + c j,  z = [v1 - v_th > 0],
 *   v' = (1 - z) v1 + z v_reset,  and the next argument (v' - v_th) / delta_T,
 * with a = dt tau_mem_inv, c = -dt tau_syn_inv. v1 and e are saved per step (es, v1s: NULL when no
 * gradient is needed); with s = sigma'(v1 - v_th) the backward pass is the LIF adjoint with
 * dv1/dv = 1 + a (e - 1):
 *   g_v1 = ((v_reset - v1) s + (1 - z)) g_v' + s g_z,  g_x = g_i = a g_v1 + (1 + c) g_i',
 *   g_v = (1 + a (e - 1)) g_v1.
 */
#include "_common.h"

/* One forward run: state buffers (v, i: the initial state on the first step), outputs, scratch. */
#define LIF_EX_ARGS(T)                                                                          \
    struct {                                                                                    \
        int64_t n;                                                                              \
        const T *xs;                                                                            \
        T *v, *i, *zs, *v1s, *es;                                                               \
        const T *e; /* torch.exp(arg) of this step */                                           \
        T *arg;                                                                                 \
        T a, c, v_leak, v_th, v_reset, delta_t;                                                 \
    }

#define LIF_EX_STEP(T)                                                                          \
    T j = i[k] + x[k];                                                                          \
    T v1 = v[k] + a * (((v_leak - v[k]) + delta_t * e[k]) + j);                                 \
    i[k] = j + c * j;                                                                           \
    T spike = SNN_SPIKE(T, v1 - v_th);                                                          \
    T v2 = ((T)1 - spike) * v1 + spike * v_reset;                                               \
    v[k] = v2;                                                                                  \
    z[k] = spike;                                                                               \
    arg[k] = (v2 - v_th) / delta_t;

#define DEFINE_LIF_EX(T, SUFFIX)                                                                \
typedef LIF_EX_ARGS(T) lif_ex_args_##SUFFIX;                                                    \
                                                                                                \
static inline void lif_ex_arg_##SUFFIX(int64_t n, const T *restrict v, T *restrict arg, T v_th, \
                                       T delta_t)                                               \
{                                                                                               \
    for (int64_t k = 0; k < n; ++k) arg[k] = (v[k] - v_th) / delta_t;                           \
}                                                                                               \
                                                                                                \
/* The exponential's argument for the initial state (the caller has copied it into v). */       \
void snn_lif_ex_begin_##SUFFIX(const lif_ex_args_##SUFFIX *p)                                   \
{                                                                                               \
    lif_ex_arg_##SUFFIX(p->n, p->v, p->arg, p->v_th, p->delta_t);                               \
}                                                                                               \
                                                                                                \
/* One step; restrict-qualified parameters (not locals read from the struct) let gcc vectorise. */ \
static inline void lif_ex_step_##SUFFIX##_loop(int64_t n, const T *restrict x,                  \
        const T *restrict e, T *restrict v, T *restrict i, T *restrict z, T *restrict v1s,      \
        T *restrict es, T *restrict arg, T a, T c, T v_leak, T v_th, T v_reset, T delta_t)      \
{                                                                                               \
    if (v1s) {                                                                                  \
        for (int64_t k = 0; k < n; ++k) { LIF_EX_STEP(T) v1s[k] = v1; es[k] = e[k]; }           \
    } else {                                                                                    \
        for (int64_t k = 0; k < n; ++k) { LIF_EX_STEP(T) }                                      \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* Step t, after the caller has written torch.exp(arg) into e. */                               \
void snn_lif_ex_step_##SUFFIX(const lif_ex_args_##SUFFIX *p, int64_t t)                         \
{                                                                                               \
    const int64_t n = p->n;                                                                     \
    lif_ex_step_##SUFFIX##_loop(n, p->xs + t * n, p->e, p->v, p->i, p->zs + t * n,              \
                                p->v1s ? p->v1s + t * n : NULL, p->es ? p->es + t * n : NULL,   \
                                p->arg, p->a, p->c, p->v_leak, p->v_th, p->v_reset, p->delta_t); \
}                                                                                               \
                                                                                                \
static inline void lif_ex_backward_##SUFFIX##_kind(int kind, int64_t steps, int64_t n,          \
        const T *restrict v1s, const T *restrict es, const T *restrict g_zs, T *restrict g_xs,  \
        T *restrict g_v, T *restrict g_i, T a, T c, T v_th, T v_reset, T alpha, T sqrt_pi)      \
{                                                                                               \
    const T decay = (T)1 + c;                                                                   \
    for (int64_t t = steps - 1; t >= 0; --t) {                                                  \
        const T *restrict v1 = v1s + t * n;                                                     \
        const T *restrict e = es + t * n;                                                       \
        const T *restrict gz = g_zs ? g_zs + t * n : NULL;                                      \
        T *restrict gx = g_xs + t * n;                                                          \
        for (int64_t k = 0; k < n; ++k) {                                                       \
            T x = v1[k] - v_th;                                                                 \
            T s = surrogate_##SUFFIX(kind, x, alpha, sqrt_pi);                                  \
            T factor = (v_reset - v1[k]) * s + (x > 0 ? (T)0 : (T)1);                           \
            T g_v1 = factor * g_v[k];                                                           \
            if (gz) g_v1 += s * gz[k];                                                          \
            T g_j = a * g_v1 + decay * g_i[k];                                                  \
            gx[k] = g_j;                                                                        \
            g_i[k] = g_j;                                                                       \
            g_v[k] = ((T)1 + a * (e[k] - (T)1)) * g_v1;                                         \
        }                                                                                       \
    }                                                                                           \
}                                                                                               \
                                                                                                \
/* g_v, g_i: the final state's gradients on entry, the initial state's on exit. */              \
void snn_lif_ex_backward_##SUFFIX(int kind, int64_t steps, int64_t n, const T *v1s,             \
                                  const T *es, const T *g_zs, T *g_xs, T *g_v, T *g_i, T a,     \
                                  T c, T v_th, T v_reset, T alpha, T sqrt_pi)                   \
{                                                                                               \
    SNN_SWITCH_SURROGATE(kind, lif_ex_backward_##SUFFIX##_kind, steps, n, v1s, es, g_zs, g_xs,  \
                         g_v, g_i, a, c, v_th, v_reset, alpha, sqrt_pi)                         \
}

DEFINE_LIF_EX(float, f32)
DEFINE_LIF_EX(double, f64)
