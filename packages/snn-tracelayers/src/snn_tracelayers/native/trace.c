/* Whole-sequence loops of the non-recurrent trace layers (LI, LIEMA, LIB, LIT, LITS and their S, D and
 * DS variants, optionally with round_ste's quantizer) for CPU tensors, called through ctypes (no Python,
 * no torch headers).
 *
 * Every expression repeats the rounding steps of snn_tracelayers.functional.trace_step in the same
 * order; the file is compiled with -ffp-contract=off, so no multiply-add is fused and the forward pass
 * is bit-identical to the step loop. Arrays are contiguous: inputs, states and saved values are
 * [T, n] rows (n = batch * width), parameters [width] (a scalar parameter is repeated width times).
 *
 * The one transcendental is sigmoid4x's exp. torch evaluates sigmoid(v) = 1 / (1 + exp(0 - v)) with
 * its vectorised exp (SLEEF) over whole blocks of 2 * lanes elements and libm's exp on the remainder
 * of each thread's chunk, and the two round differently on some inputs. exp_block() reproduces that
 * split and calls the very SLEEF function torch calls (its address comes from Python), so the values
 * are torch's own.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TRACE_VECTOR_EXP 1

typedef __m512 (*exp_f32x16)(__m512);
typedef __m256 (*exp_f32x8)(__m256);
typedef __m512d (*exp_f64x8)(__m512d);
typedef __m256d (*exp_f64x4)(__m256d);

__attribute__((target("avx512f"))) static void exp_f32_avx512(void *fn, float *b, int64_t count)
{
    exp_f32x16 f = (exp_f32x16)fn;
    for (int64_t i = 0; i < count; i += 16) _mm512_storeu_ps(b + i, f(_mm512_loadu_ps(b + i)));
}
__attribute__((target("avx2"))) static void exp_f32_avx2(void *fn, float *b, int64_t count)
{
    exp_f32x8 f = (exp_f32x8)fn;
    for (int64_t i = 0; i < count; i += 8) _mm256_storeu_ps(b + i, f(_mm256_loadu_ps(b + i)));
}
__attribute__((target("avx512f"))) static void exp_f64_avx512(void *fn, double *b, int64_t count)
{
    exp_f64x8 f = (exp_f64x8)fn;
    for (int64_t i = 0; i < count; i += 8) _mm512_storeu_pd(b + i, f(_mm512_loadu_pd(b + i)));
}
__attribute__((target("avx2"))) static void exp_f64_avx2(void *fn, double *b, int64_t count)
{
    exp_f64x4 f = (exp_f64x4)fn;
    for (int64_t i = 0; i < count; i += 4) _mm256_storeu_pd(b + i, f(_mm256_loadu_pd(b + i)));
}
#else
#define TRACE_VECTOR_EXP 0
#endif

/* torch's CPU capability, as _build.capability() codes it */
enum { CAP_SCALAR = 0, CAP_AVX2 = 1, CAP_AVX512 = 2 };
/* firing kinds of fused.plan */
enum { FIRE_NONE = 0, FIRE_BINARY = 1, FIRE_TERNARY = 2 };
/* flag bits (DUAL: positive/negative traces; STRICT: DLIT's N_< drive split, backward only) */
enum { FLAG_SYNAPSE = 1, FLAG_EMA = 2, FLAG_SCALED = 4, FLAG_DUAL = 8, FLAG_STRICT = 16 };

/* exp in place over b[0:n], split as torch splits it: chunks of `chunk` elements (one per thread),
 * in each the leading whole blocks of `block` elements through `fn` (vector), the rest through libm. */
#define DEFINE_EXP_BLOCK(T, SUFFIX, EXP, LANES512, LANES256)                                        \
static void exp_block_##SUFFIX(int cap, void *fn, T *b, int64_t n, int64_t chunk)                  \
{                                                                                                   \
    for (int64_t c0 = 0; c0 < n; c0 += chunk) {                                                     \
        int64_t len = n - c0 < chunk ? n - c0 : chunk, v = 0;                                      \
        if (TRACE_VECTOR_EXP && cap == CAP_AVX512 && fn) {                                          \
            v = len - len % (2 * LANES512);                                                         \
            EXP_VEC_512_##SUFFIX(fn, b + c0, v);                                                    \
        } else if (TRACE_VECTOR_EXP && cap == CAP_AVX2 && fn) {                                     \
            v = len - len % (2 * LANES256);                                                         \
            EXP_VEC_256_##SUFFIX(fn, b + c0, v);                                                    \
        }                                                                                           \
        for (int64_t k = c0 + v; k < c0 + len; ++k) b[k] = EXP(b[k]);                               \
    }                                                                                               \
}

#if TRACE_VECTOR_EXP
#define EXP_VEC_512_f32 exp_f32_avx512
#define EXP_VEC_256_f32 exp_f32_avx2
#define EXP_VEC_512_f64 exp_f64_avx512
#define EXP_VEC_256_f64 exp_f64_avx2
#else
#define EXP_VEC_512_f32(fn, b, v) ((void)0)
#define EXP_VEC_256_f32(fn, b, v) ((void)0)
#define EXP_VEC_512_f64(fn, b, v) ((void)0)
#define EXP_VEC_256_f64(fn, b, v) ((void)0)
#endif

DEFINE_EXP_BLOCK(float, f32, expf, 16, 8)
DEFINE_EXP_BLOCK(double, f64, exp, 8, 4)

#define DEFINE_TRACE(T, SUFFIX)                                                                     \
/* round_ste's q(f) = round(f / h) * h: torch.round is round-half-to-even, as nearbyint is under the \
 * default rounding mode, and torch divides by the step (no reciprocal), both in T. */              \
static inline __attribute__((always_inline)) T quantize_##SUFFIX(T f, T h)                          \
{                                                                                                   \
    return NEARBYINT_##SUFFIX(f / h) * h;                                                           \
}                                                                                                   \
                                                                                                    \
/* T steps. syn/mem (dual: syn/syn_n, mem/mem_n for the positive/negative traces) hold the initial  \
 * states on entry and the final ones on exit; e1, e2 are n-sized scratch rows. saved_* may be NULL \
 * (inference): saved_mem/saved_syn the states after each step ([T, C, n], C = 2 if dual else 1),   \
 * saved_f the binary f(u) per step (with a quantizer, where the output is q(f)), saved_fp/saved_fn \
 * the ternary f(u+), f(u-) per step. qstep > 0 is round_ste's step h, 0 means no quantizer. The sign \
 * splits are clamps, as in the fused path: P(v) = v < 0 ? 0 : v keeps a NaN (then the final states \
 * are not finite and fused_trace_sequence repeats the call with the step loop). */                 \
static inline __attribute__((always_inline)) void trace_forward_##SUFFIX(                           \
        int64_t steps, int64_t batch, int64_t width, const int firing, const int flags, double qstep, \
        const T *restrict xs, T *restrict syn, T *restrict syn_n, T *restrict mem, T *restrict mem_n, \
        T *restrict outs, T *restrict saved_syn, T *restrict saved_mem, T *restrict saved_f,        \
        T *restrict saved_fp, T *restrict saved_fn, T *restrict e1, T *restrict e2,                 \
        const T *restrict alpha, const T *restrict alpha_n, const T *restrict beta,                 \
        const T *restrict beta_n, const T *restrict th, const T *restrict nth, const T *restrict bias, \
        const T *restrict ps, const T *restrict ns, int cap, void *fn, int64_t chunk)               \
{                                                                                                   \
    const int synapse = flags & FLAG_SYNAPSE, ema = flags & FLAG_EMA, scaled = flags & FLAG_SCALED; \
    const int dual = flags & FLAG_DUAL, quant = qstep > 0;                                          \
    const T h = (T)qstep;                                                                           \
    const int64_t n = batch * width, C = dual ? 2 : 1;                                              \
    for (int64_t t = 0; t < steps; ++t) {                                                           \
        const T *restrict x = xs + t * n;                                                           \
        T *restrict out = outs + t * n;                                                             \
        for (int64_t b = 0, k = 0; b < batch; ++b) {                                                \
            for (int64_t j = 0; j < width; ++j, ++k) {                                              \
                T m;                                                                                \
                if (dual) {                                                                         \
                    T drive = x[k];                                                                 \
                    if (synapse) {                                                                  \
                        T xp = drive < 0 ? (T)0 : drive, xn = drive > 0 ? (T)0 : drive;             \
                        T sp = syn[k] * alpha[j] + xp * ((T)1 - alpha[j]);                          \
                        T sn = syn_n[k] * alpha_n[j] + xn * ((T)1 - alpha_n[j]);                    \
                        syn[k] = sp;                                                                \
                        syn_n[k] = sn;                                                              \
                        drive = sp + sn;                                                            \
                    }                                                                               \
                    T dp = drive < 0 ? (T)0 : drive, dn = drive > 0 ? (T)0 : drive;                 \
                    if (ema) {                                                                      \
                        dp = dp * ((T)1 - beta[j]);                                                 \
                        dn = dn * ((T)1 - beta_n[j]);                                               \
                    }                                                                               \
                    T mp = mem[k] * beta[j] + dp, mn = mem_n[k] * beta_n[j] + dn;                   \
                    mem[k] = mp;                                                                    \
                    mem_n[k] = mn;                                                                  \
                    m = mp + mn;                                                                    \
                } else {                                                                            \
                    T drive = x[k];                                                                 \
                    if (synapse) {                                                                  \
                        drive = syn[k] * alpha[j] + x[k] * ((T)1 - alpha[j]);                       \
                        syn[k] = drive;                                                             \
                    }                                                                               \
                    T delta = ema ? drive * ((T)1 - beta[j]) : drive;                               \
                    m = mem[k] * beta[j] + delta;                                                   \
                    mem[k] = m;                                                                     \
                }                                                                                   \
                if (firing == FIRE_NONE) {                                                          \
                    out[k] = m;                                                                     \
                } else if (firing == FIRE_BINARY) {                                                 \
                    e1[k] = -(((m - th[j]) + bias[j]) * (T)4);                                      \
                } else {                                                                            \
                    e1[k] = -(((m - th[j]) + bias[j]) * (T)4);                                      \
                    e2[k] = -((((-nth[j]) - m) - bias[j]) * (T)4);                                  \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
        if (firing != FIRE_NONE) {                                                                  \
            exp_block_##SUFFIX(cap, fn, e1, n, chunk);                                              \
            if (firing == FIRE_TERNARY) exp_block_##SUFFIX(cap, fn, e2, n, chunk);                  \
            for (int64_t b = 0, k = 0; b < batch; ++b) {                                            \
                for (int64_t j = 0; j < width; ++j, ++k) {                                          \
                    T fp = (T)1 / ((T)1 + e1[k]);                                                   \
                    if (firing == FIRE_BINARY) {                                                    \
                        T z = quant ? quantize_##SUFFIX(fp, h) : fp;                                \
                        out[k] = z;                                                                 \
                        if (quant && saved_f) saved_f[t * n + k] = fp;                              \
                        if (dual) {                                                                 \
                            T half = (z * th[j]) * (T)0.5;                                          \
                            mem[k] = mem[k] - half;                                                 \
                            mem_n[k] = mem_n[k] - half;                                             \
                        } else {                                                                    \
                            mem[k] = mem[k] - z * th[j];                                            \
                        }                                                                           \
                    } else {                                                                        \
                        T fneg = (T)1 / ((T)1 + e2[k]);                                             \
                        T zp = quant ? quantize_##SUFFIX(fp, h) : fp;                               \
                        T zn = -(quant ? quantize_##SUFFIX(fneg, h) : fneg);                        \
                        if (dual) {                                                                 \
                            T hp = (zp * th[j]) * (T)0.5, hn = (zn * nth[j]) * (T)0.5;              \
                            mem[k] = (mem[k] - hp) - hn;                                            \
                            mem_n[k] = (mem_n[k] - hp) - hn;                                        \
                        } else {                                                                    \
                            mem[k] = (mem[k] - zp * th[j]) - zn * nth[j];                           \
                        }                                                                           \
                        out[k] = scaled ? zp * ps[j] + zn * ns[j] : zp + zn;                        \
                        if (saved_fp) { saved_fp[t * n + k] = fp; saved_fn[t * n + k] = fneg; }     \
                    }                                                                               \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
        if (saved_mem) {                                                                            \
            memcpy(saved_mem + t * C * n, mem, (size_t)n * sizeof(T));                              \
            if (dual) memcpy(saved_mem + (t * C + 1) * n, mem_n, (size_t)n * sizeof(T));            \
        }                                                                                           \
        if (saved_syn && synapse) {                                                                 \
            memcpy(saved_syn + t * C * n, syn, (size_t)n * sizeof(T));                              \
            if (dual) memcpy(saved_syn + (t * C + 1) * n, syn_n, (size_t)n * sizeof(T));            \
        }                                                                                           \
    }                                                                                               \
}                                                                                                   \
                                                                                                    \
/* The adjoint of the forward loop, backwards in time (fused.backward's recursion without a recurrent \
 * trace). g_mem/g_mem_n and g_syn/g_syn_n hold the final states' gradients on entry and the initial \
 * states' on exit; g_outs may be NULL. a_* (NULL: no parameter gradient) are 10 rows of n per-element \
 * sums over time: alpha, beta, then binary: bias, rho*z; ternary: u+, -u-, rho*z+, rho*z-, then the \
 * scales' o*z+, o*z-; rows 8 and 9 are the negative traces' alpha and beta (dual). rho is the reset \
 * gradient (dual: the sum over both branches, each reset by half of z*theta); sums = (a_* != NULL). \
 * The sign splits'                                                                                 \
 * gradients are the masks [v >= 0], [v <= 0] (STRICT: [v < 0] for the membrane's negative drive),  \
 * applied as 0/1 factors like the fused path's float masks. The ten a_* rows are separate restrict \
 * parameters (not offsets into one array) so that gcc needs no run-time alias checks between them: \
 * more than ten such checks and it leaves the loop scalar. */                                     \
static inline __attribute__((always_inline)) void trace_backward_##SUFFIX(                          \
        int64_t steps, int64_t batch, int64_t width, const int firing, const int flags, const int sums, \
        double qstep, const T *restrict xs, const T *restrict syn0, const T *restrict syn0_n,       \
        const T *restrict mem0, const T *restrict mem0_n, const T *restrict saved_syn,              \
        const T *restrict saved_mem, const T *restrict outs, const T *restrict saved_f,             \
        const T *restrict saved_fp, const T *restrict saved_fn, const T *restrict g_outs,           \
        T *restrict g_xs, T *restrict g_syn, T *restrict g_syn_n, T *restrict g_mem,                \
        T *restrict g_mem_n, T *restrict a_alpha, T *restrict a_beta, T *restrict a_0,             \
        T *restrict a_1, T *restrict a_2, T *restrict a_3, T *restrict a_4, T *restrict a_5,       \
        T *restrict a_alpha_n, T *restrict a_beta_n, const T *restrict alpha, const T *restrict alpha_n, \
        const T *restrict beta, const T *restrict beta_n, const T *restrict th,                     \
        const T *restrict nth, const T *restrict ps, const T *restrict ns)                          \
{                                                                                                   \
    const int synapse = flags & FLAG_SYNAPSE, ema = flags & FLAG_EMA, scaled = flags & FLAG_SCALED; \
    const int dual = flags & FLAG_DUAL, strict = flags & FLAG_STRICT, quant = qstep > 0;            \
    const T h = (T)qstep, reset = dual ? (T)0.5 : (T)1;                                             \
    const T zero_n = strict ? (T)0 : (T)1; /* [v <= 0] at v = 0, [v < 0] if STRICT */             \
    const int64_t n = batch * width, C = dual ? 2 : 1;                                              \
    for (int64_t t = steps - 1; t >= 0; --t) {                                                      \
        const T *restrict x = xs + t * n;                                                           \
        const T *restrict prev_mem = t > 0 ? saved_mem + (t - 1) * C * n : mem0;                    \
        const T *restrict prev_mem_n = dual ? (t > 0 ? saved_mem + ((t - 1) * C + 1) * n : mem0_n) : NULL; \
        const T *restrict prev_syn = synapse ? (t > 0 ? saved_syn + (t - 1) * C * n : syn0) : NULL; \
        const T *restrict prev_syn_n =                                                              \
            synapse && dual ? (t > 0 ? saved_syn + ((t - 1) * C + 1) * n : syn0_n) : NULL;          \
        const T *restrict syn_t = synapse ? saved_syn + t * C * n : NULL;                           \
        const T *restrict syn_t_n = synapse && dual ? saved_syn + (t * C + 1) * n : NULL;           \
        const T *restrict g = g_outs ? g_outs + t * n : NULL;                                       \
        T *restrict gx = g_xs + t * n;                                                              \
        const T *restrict f_t = (quant && saved_f ? saved_f : outs) + t * n; /* binary f (saved if quantized) */ \
        for (int64_t b = 0, k = 0; b < batch; ++b) {                                                \
            /* ivdep: every k is independent; without it gcc wants more run-time alias checks between \
             * the rows picked per step than it makes (10), and leaves the loop scalar */           \
            _Pragma("GCC ivdep")                                                                    \
            for (int64_t j = 0; j < width; ++j, ++k) {                                              \
                T after = g_mem[k], after_n = dual ? g_mem_n[k] : (T)0;                             \
                T rho = dual ? after + after_n : after;                                             \
                T ao = g ? g[k] : (T)0;                                                             \
                T au = (T)0; /* what the firing adds to the membrane adjoint of each branch */      \
                if (firing == FIRE_NONE) {                                                          \
                    au = ao;                                                                        \
                } else if (firing == FIRE_BINARY) {                                                 \
                    T z = outs[t * n + k], f = f_t[k];                                              \
                    au = (ao - rho * (th[j] * reset)) * ((T)1 - f) * f * (T)4;                      \
                    if (sums) { a_0[k] += au; a_1[k] += rho * z; }                                   \
                } else {                                                                            \
                    T fp = saved_fp[t * n + k], fneg = saved_fn[t * n + k];                         \
                    T zp = quant ? quantize_##SUFFIX(fp, h) : fp;                                   \
                    T zn = -(quant ? quantize_##SUFFIX(fneg, h) : fneg);                            \
                    T aop = scaled ? ao * ps[j] : ao, aon = scaled ? ao * ns[j] : ao;               \
                    T aup = (aop - rho * (th[j] * reset)) * ((T)1 - fp) * fp * (T)4;                \
                    T bun = (aon - rho * (nth[j] * reset)) * ((T)1 - fneg) * fneg * (T)4;           \
                    au = aup + bun;                                                                 \
                    if (sums) {                                                                      \
                        a_0[k] += aup; a_1[k] += bun;                                               \
                        a_2[k] += rho * zp; a_3[k] += rho * zn;                                     \
                        if (scaled) { a_4[k] += ao * zp; a_5[k] += ao * zn; }                       \
                    }                                                                               \
                }                                                                                   \
                T am = after + au;                                                                  \
                if (dual) {                                                                         \
                    T am_n = after_n + au;                                                          \
                    T drive = synapse ? syn_t[k] + syn_t_n[k] : x[k];                               \
                    if (sums) {                                                                      \
                        T dp = drive < 0 ? (T)0 : drive, dn = drive > 0 ? (T)0 : drive;             \
                        a_beta[k] += am * (ema ? prev_mem[k] - dp : prev_mem[k]);                   \
                        a_beta_n[k] += am_n * (ema ? prev_mem_n[k] - dn : prev_mem_n[k]);           \
                    }                                                                               \
                    T ad = ema ? am * ((T)1 - beta[j]) : am;                                        \
                    T ad_n = ema ? am_n * ((T)1 - beta_n[j]) : am_n;                                \
                    g_mem[k] = am * beta[j];                                                        \
                    g_mem_n[k] = am_n * beta_n[j];                                                  \
                    T mask_p = drive >= 0 ? (T)1 : (T)0;                                            \
                    /* strict is a run-time flag: a select on loop-invariant values, not a branch, \
                     * keeps the loop vectorisable */                                               \
                    T mask_n = drive < 0 ? (T)1 : (drive == 0 ? zero_n : (T)0);                     \
                    T a_drive = mask_p * ad + mask_n * ad_n;                                        \
                    if (synapse) {                                                                  \
                        T xv = x[k];                                                                \
                        T asp = a_drive + g_syn[k], asn = a_drive + g_syn_n[k];                     \
                        T xm_p = xv >= 0 ? (T)1 : (T)0, xm_n = xv <= 0 ? (T)1 : (T)0;               \
                        gx[k] = xm_p * (asp * ((T)1 - alpha[j])) + xm_n * (asn * ((T)1 - alpha_n[j])); \
                        if (sums) {                                                                  \
                            T xp = xv < 0 ? (T)0 : xv, xn = xv > 0 ? (T)0 : xv;                     \
                            a_alpha[k] += asp * (prev_syn[k] - xp);                                 \
                            a_alpha_n[k] += asn * (prev_syn_n[k] - xn);                             \
                        }                                                                           \
                        g_syn[k] = asp * alpha[j];                                                  \
                        g_syn_n[k] = asn * alpha_n[j];                                              \
                    } else {                                                                        \
                        gx[k] = a_drive;                                                            \
                    }                                                                               \
                } else {                                                                            \
                    const T drive = synapse ? syn_t[k] : x[k];                                      \
                    if (sums) a_beta[k] += am * (ema ? prev_mem[k] - drive : prev_mem[k]);           \
                    T a_delta = ema ? am * ((T)1 - beta[j]) : am;                                   \
                    g_mem[k] = am * beta[j];                                                        \
                    if (synapse) {                                                                  \
                        T a_s = a_delta + g_syn[k];                                                 \
                        gx[k] = a_s * ((T)1 - alpha[j]);                                            \
                        if (sums) a_alpha[k] += a_s * (prev_syn[k] - x[k]);                          \
                        g_syn[k] = a_s * alpha[j];                                                  \
                    } else {                                                                        \
                        gx[k] = a_delta;                                                            \
                    }                                                                               \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }                                                                                               \
}

/* The variants: one copy of the loops per (firing, flags) with both as compile-time constants, so
 * that the compiler drops the branches from the inner loops and vectorises them (the backward pass's
 * STRICT bit and the quantizer step stay run-time values). Only the combinations of the library's
 * layers are compiled (EMA membranes come without firing); snn_trace_variant() tells the loader which.
 *
 * The copies are spread over SNN_TRACE_PARTS parts of about equal compile time (a ternary variant
 * costs about three times a non-firing one): compiled with -DSNN_TRACE_PART=k this file holds part k
 * only (part 0 also the exported entry points), and the loader compiles the parts in parallel. Without
 * SNN_TRACE_PART it holds everything. X(firing, flags). */
#define SNN_TRACE_PARTS 4
#define TRACE_PART_0(X) X(2, 0) X(2, 13) X(1, 0) X(0, 0) X(0, 11)
#define TRACE_PART_1(X) X(2, 1) X(2, 12) X(1, 1) X(0, 1) X(0, 10)
#define TRACE_PART_2(X) X(2, 4) X(2, 9) X(1, 8) X(0, 2) X(0, 9)
#define TRACE_PART_3(X) X(2, 5) X(2, 8) X(1, 9) X(0, 3) X(0, 8)
#define TRACE_VARIANTS(X) TRACE_PART_0(X) TRACE_PART_1(X) TRACE_PART_2(X) TRACE_PART_3(X)

#ifdef SNN_TRACE_PART
#define TRACE_HAS_PART(k) (SNN_TRACE_PART == (k))
#else
#define TRACE_HAS_PART(k) 1
#endif

#define FORWARD_PARAMS(T)                                                                           \
    int64_t steps, int64_t batch, int64_t width, double qstep, const T *xs, T *syn, T *syn_n, T *mem, \
    T *mem_n, T *outs, T *saved_syn, T *saved_mem, T *saved_f, T *saved_fp, T *saved_fn, T *e1,    \
    T *e2, const T *alpha, const T *alpha_n, const T *beta, const T *beta_n, const T *th,          \
    const T *nth, const T *bias, const T *ps, const T *ns, int cap, void *fn, int64_t chunk
#define FORWARD_ARGS                                                                                \
    qstep, xs, syn, syn_n, mem, mem_n, outs, saved_syn, saved_mem, saved_f, saved_fp, saved_fn, e1, \
    e2, alpha, alpha_n, beta, beta_n, th, nth, bias, ps, ns, cap, fn, chunk
#define BACKWARD_PARAMS(T)                                                                          \
    int64_t steps, int64_t batch, int64_t width, int strict, double qstep, const T *xs,            \
    const T *syn0, const T *syn0_n, const T *mem0, const T *mem0_n, const T *saved_syn,            \
    const T *saved_mem, const T *outs, const T *saved_f, const T *saved_fp, const T *saved_fn,     \
    const T *g_outs, T *g_xs, T *g_syn, T *g_syn_n, T *g_mem, T *g_mem_n, T *a_alpha, T *a_beta,    \
    T *a_0, T *a_1, T *a_2, T *a_3, T *a_4, T *a_5, T *a_alpha_n, T *a_beta_n, const T *alpha,     \
    const T *alpha_n, const T *beta, const T *beta_n, const T *th, const T *nth, const T *ps,      \
    const T *ns
#define BACKWARD_ARGS                                                                               \
    qstep, xs, syn0, syn0_n, mem0, mem0_n, saved_syn, saved_mem, outs, saved_f, saved_fp, saved_fn, \
    g_outs, g_xs, g_syn, g_syn_n, g_mem, g_mem_n, a_alpha, a_beta, a_0, a_1, a_2, a_3, a_4, a_5,    \
    a_alpha_n, a_beta_n, alpha, alpha_n, beta, beta_n, th, nth, ps, ns

/* hidden: shared between the parts' object files, not exported from the library */
#define TRACE_INTERNAL __attribute__((visibility("hidden")))
#define DECLARE_VARIANT(F, G)                                                                       \
    TRACE_INTERNAL void snn_trace_fw_f32_##F##_##G(FORWARD_PARAMS(float));                          \
    TRACE_INTERNAL void snn_trace_fw_f64_##F##_##G(FORWARD_PARAMS(double));                         \
    TRACE_INTERNAL void snn_trace_bw_f32_##F##_##G(BACKWARD_PARAMS(float));                         \
    TRACE_INTERNAL void snn_trace_bw_f64_##F##_##G(BACKWARD_PARAMS(double));
/* the backward pass with and without the parameter sums as separate copies: a run-time test of a_beta
 * around the sums' updates would keep gcc from vectorising the loops */
#define DEFINE_VARIANT_T(T, SUFFIX, F, G)                                                           \
    void snn_trace_fw_##SUFFIX##_##F##_##G(FORWARD_PARAMS(T))                                       \
    {                                                                                               \
        trace_forward_##SUFFIX(steps, batch, width, F, G, FORWARD_ARGS);                            \
    }                                                                                               \
    void snn_trace_bw_##SUFFIX##_##F##_##G(BACKWARD_PARAMS(T))                                      \
    {                                                                                               \
        /* (G) | STRICT-or-0, not (G) | strict: the other flag bits must stay compile-time constants */ \
        const int flags = (G) | (strict ? FLAG_STRICT : 0);                                         \
        if (a_beta) trace_backward_##SUFFIX(steps, batch, width, F, flags, 1, BACKWARD_ARGS);       \
        else trace_backward_##SUFFIX(steps, batch, width, F, flags, 0, BACKWARD_ARGS);              \
    }
#define DEFINE_VARIANT(F, G) DEFINE_VARIANT_T(float, f32, F, G) DEFINE_VARIANT_T(double, f64, F, G)
#define NEARBYINT_f32 nearbyintf
#define NEARBYINT_f64 nearbyint

DEFINE_TRACE(float, f32)
DEFINE_TRACE(double, f64)
TRACE_VARIANTS(DECLARE_VARIANT)

#if TRACE_HAS_PART(0)
TRACE_PART_0(DEFINE_VARIANT)
#endif
#if TRACE_HAS_PART(1)
TRACE_PART_1(DEFINE_VARIANT)
#endif
#if TRACE_HAS_PART(2)
TRACE_PART_2(DEFINE_VARIANT)
#endif
#if TRACE_HAS_PART(3)
TRACE_PART_3(DEFINE_VARIANT)
#endif

#if TRACE_HAS_PART(0)
#define FORWARD_CASE_f32(F, G) case (F) * 16 + (G): snn_trace_fw_f32_##F##_##G(FORWARD_CALL); return;
#define FORWARD_CASE_f64(F, G) case (F) * 16 + (G): snn_trace_fw_f64_##F##_##G(FORWARD_CALL); return;
#define BACKWARD_CASE_f32(F, G) case (F) * 16 + (G): snn_trace_bw_f32_##F##_##G(BACKWARD_CALL); return;
#define BACKWARD_CASE_f64(F, G) case (F) * 16 + (G): snn_trace_bw_f64_##F##_##G(BACKWARD_CALL); return;
#define FORWARD_CALL steps, batch, width, FORWARD_ARGS
#define BACKWARD_CALL steps, batch, width, flags & FLAG_STRICT, BACKWARD_ARGS
#define VARIANT_CASE(F, G) case (F) * 16 + (G): return 1;

/* The entry points. flags & 15 selects the variant (STRICT is passed on); a (firing, flags) that was
 * not compiled does nothing: the loader asks snn_trace_variant() first. acc (NULL: no parameter
 * gradient) is the [10, n] block of the backward pass's per-element sums, in the order of the a_*
 * parameters of trace_backward. */
#define EXPORT_TRACE(T, SUFFIX)                                                                     \
/* sigmoid4x over x[0:n] into out, as torch.sigmoid(4 * x) computes it (used by the self-check) */  \
void snn_trace_sigmoid4x_##SUFFIX(int cap, void *fn, int64_t chunk, const T *x, T *out, int64_t n)  \
{                                                                                                   \
    for (int64_t k = 0; k < n; ++k) out[k] = -(x[k] * (T)4);                                        \
    exp_block_##SUFFIX(cap, fn, out, n, chunk);                                                     \
    for (int64_t k = 0; k < n; ++k) out[k] = (T)1 / ((T)1 + out[k]);                                \
}                                                                                                   \
                                                                                                    \
void snn_trace_forward_##SUFFIX(int64_t steps, int64_t batch, int64_t width, int firing, int flags, \
        double qstep, const T *xs, T *syn, T *syn_n, T *mem, T *mem_n, T *outs, T *saved_syn,       \
        T *saved_mem, T *saved_f, T *saved_fp, T *saved_fn, T *e1, T *e2, const T *alpha,           \
        const T *alpha_n, const T *beta, const T *beta_n, const T *th, const T *nth, const T *bias, \
        const T *ps, const T *ns, int cap, void *fn, int64_t chunk)                                 \
{                                                                                                   \
    switch (firing * 16 + (flags & 15)) {                                                           \
        TRACE_VARIANTS(FORWARD_CASE_##SUFFIX)                                                       \
    default: return;                                                                                \
    }                                                                                               \
}                                                                                                   \
                                                                                                    \
void snn_trace_backward_##SUFFIX(int64_t steps, int64_t batch, int64_t width, int firing, int flags, \
        double qstep, const T *xs, const T *syn0, const T *syn0_n, const T *mem0, const T *mem0_n,  \
        const T *saved_syn, const T *saved_mem, const T *outs, const T *saved_f, const T *saved_fp, \
        const T *saved_fn, const T *g_outs, T *g_xs, T *g_syn, T *g_syn_n, T *g_mem, T *g_mem_n,    \
        T *acc, const T *alpha, const T *alpha_n, const T *beta, const T *beta_n, const T *th,      \
        const T *nth, const T *ps, const T *ns)                                                     \
{                                                                                                   \
    const int64_t n = batch * width;                                                                \
    T *a_alpha = acc, *a_beta = acc ? acc + n : NULL, *a_0 = acc ? acc + 2 * n : NULL;             \
    T *a_1 = acc ? acc + 3 * n : NULL, *a_2 = acc ? acc + 4 * n : NULL;                             \
    T *a_3 = acc ? acc + 5 * n : NULL, *a_4 = acc ? acc + 6 * n : NULL;                             \
    T *a_5 = acc ? acc + 7 * n : NULL, *a_alpha_n = acc ? acc + 8 * n : NULL;                       \
    T *a_beta_n = acc ? acc + 9 * n : NULL;                                                         \
    switch (firing * 16 + (flags & 15)) {                                                           \
        TRACE_VARIANTS(BACKWARD_CASE_##SUFFIX)                                                      \
    default: return;                                                                                \
    }                                                                                               \
}

EXPORT_TRACE(float, f32)
EXPORT_TRACE(double, f64)

/* 1 if the loops for this firing kind and these flags (STRICT aside) are compiled in, else 0. */
int snn_trace_variant(int firing, int flags)
{
    switch (firing * 16 + (flags & 15)) {
        TRACE_VARIANTS(VARIANT_CASE)
    default: return 0;
    }
}

/* 1 when the vector exp of exp_block() is compiled in (x86-64), else 0 (libm only). */
int snn_trace_vector_exp(void) { return TRACE_VECTOR_EXP; }

/* The number of parts this file is split into for a parallel build (-DSNN_TRACE_PART=0 ... n-1). */
int snn_trace_parts(void) { return SNN_TRACE_PARTS; }

/* The version of this interface; the loader refuses a library with another one. */
int snn_trace_native_abi(void) { return 3; }
#endif
