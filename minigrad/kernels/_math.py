"""Scalar maths for the gate kernels, written so LLVM can vectorise the loops.

A call to ``math.exp``/``math.tanh`` inside an ``@njit`` loop stays a scalar
libm call (about 25 ns per element here, no SVML), which made fused kernels
slower than NumPy. These versions use only +, *, /, min/max, floor and
selects, so a loop over contiguous slices compiles to SIMD code:

* float32 ``tanh(x)``: the odd/even rational approximation p(x)/q(x) of degree
  13/6 on x clamped to [-7.905, 7.905] (the minimax fit used by Eigen's
  ``ptanh_float``), absolute error < 4e-7; exactly +-1 from |x| >= 9.0109, where
  the correctly rounded float32 tanh is 1 (the clamped fit stays 4 ulp below 1,
  so the derivative 1 - y^2 a backward forms from the saved output would be
  5e-7 instead of 0 at saturation); ``sigmoid(x) = (1 + tanh(x/2)) / 2``, so
  exactly 0 or 1 (zero derivative y(1 - y)) from |x| >= 18.02.
* float64: exact to a few ulp through ``exp`` on a non-positive argument,
  y = -|x| (or -2|x|) clamped at -87: n = round(y / ln 2), r = y - n ln 2
  (Cody-Waite, |r| <= ln2/2), e^r - 1 by its Taylor polynomial of degree 13,
  2^n (-126 <= n <= 0) by seven selected multiplications, then
  ``sigmoid(x) = 1/(1+e)`` or ``e/(1+e)`` with e = e^{-|x|}, and
  ``tanh(|x|) = -(e^y - 1) / (2 + (e^y - 1))`` with y = -2|x| (no cancellation
  near 0).

All kernels and these functions are compiled with ``fastmath={"contract"}``
(only: no reassociation, no approximate division), which lets LLVM fuse
a*b + c into one FMA: the LSTM forward kernel ran 23-26% faster in isolation
(H = 128, 256, float32); results move by an ulp at most.

They are chosen by argument type with ``numba.extending.overload`` (public
API), so one kernel source serves float32 and float64. ``one(x)`` and
``zero(x)`` give constants of x's type: a bare ``1.0`` would promote a
float32 loop to float64. (Numba's on-disk cache does not notice edits to this
file; clear ``__pycache__`` after changing it.)
"""
import math

import numpy as np
from numba import njit
from numba.extending import overload

_inline = njit(fastmath={"contract"})


def _make_f32():
    c = np.float32
    a1, a3, a5, a7, a9, a11, a13 = (c(v) for v in (
        4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05,
        5.12229709037114e-08, -8.60467152213735e-11, 2.00018790482477e-13,
        -2.76076847742355e-16))
    b0, b2, b4, b6 = (c(v) for v in (4.89352518554385e-03, 2.26843463243900e-03,
                                      1.18534705686654e-04, 1.19825839466702e-06))
    clamp, half, one = c(7.90531110763549805), c(0.5), c(1.0)
    saturated = c(9.010913848876953)      # the least x with float32(tanh(x)) == 1

    @_inline
    def tanh(x):
        y = min(max(x, -clamp), clamp)
        y2 = y * y
        p = y * (a1 + y2 * (a3 + y2 * (a5 + y2 * (a7 + y2 * (a9 + y2 * (a11 + y2 * a13))))))
        q = b0 + y2 * (b2 + y2 * (b4 + y2 * b6))
        t = p / q
        t = one if x >= saturated else t
        return -one if x <= -saturated else t

    @_inline
    def sigmoid(x):
        return half * tanh(half * x) + half

    return sigmoid, tanh


def _make_f64():
    c = np.float64
    log2e, ln2hi, ln2lo = c(1.4426950408889634), c(0.693145751953125), c(1.4286068203094173e-06)
    lim, half, one, zero, two = c(-87.0), c(0.5), c(1.0), c(0.0), c(2.0)
    k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13 = (
        c(1.0 / math.factorial(k)) for k in range(1, 14))
    p64, p32, p16, p8, p4, p2, p1 = (c(2.0 ** -k) for k in (64, 32, 16, 8, 4, 2, 1))
    t64, t32, t16, t8, t4, t2, t1 = (c(k) for k in (64, 32, 16, 8, 4, 2, 1))

    @_inline
    def exp_neg(y):
        """(e^y, e^y - 1) for y <= 0 (y clamped at -87)."""
        y = max(y, lim)
        n = math.floor(y * log2e + half)
        r = (y - n * ln2hi) - n * ln2lo
        p = r * (k1 + r * (k2 + r * (k3 + r * (k4 + r * (k5 + r * (k6 + r * (
            k7 + r * (k8 + r * (k9 + r * (k10 + r * (k11 + r * (k12 + r * k13))))))))))))
        m = -n
        s = one
        b = m >= t64
        s = s * p64 if b else s
        m = m - t64 if b else m
        b = m >= t32
        s = s * p32 if b else s
        m = m - t32 if b else m
        b = m >= t16
        s = s * p16 if b else s
        m = m - t16 if b else m
        b = m >= t8
        s = s * p8 if b else s
        m = m - t8 if b else m
        b = m >= t4
        s = s * p4 if b else s
        m = m - t4 if b else m
        b = m >= t2
        s = s * p2 if b else s
        m = m - t2 if b else m
        s = s * p1 if m >= t1 else s
        return s + s * p, s * p + (s - one)

    @_inline
    def sigmoid(x):
        e, _ = exp_neg(-abs(x))
        s = one / (one + e)
        return s if x >= zero else e * s

    @_inline
    def tanh(x):
        _, em1 = exp_neg(-two * abs(x))
        t = -em1 / (two + em1)
        return t if x >= zero else -t

    return sigmoid, tanh


_SIG32, _TANH32 = _make_f32()
_SIG64, _TANH64 = _make_f64()


def sigmoid(x):
    """Logistic function 1 / (1 + e^-x) (a Numba-only stub: see the module docstring)."""
    return 0.5 * np.tanh(0.5 * x) + 0.5


def tanh(x):
    """Hyperbolic tangent (a Numba-only stub: see the module docstring)."""
    return np.tanh(x)


def one(x):
    """1 in x's floating type."""
    return 1.0


def zero(x):
    """0 in x's floating type."""
    return 0.0


def _is32(x):
    return getattr(x, "bitwidth", 64) == 32


@overload(sigmoid)
def _ov_sigmoid(x):
    if _is32(x):
        return lambda x: _SIG32(x)
    return lambda x: _SIG64(x)


@overload(tanh)
def _ov_tanh(x):
    if _is32(x):
        return lambda x: _TANH32(x)
    return lambda x: _TANH64(x)


@overload(one)
def _ov_one(x):
    if _is32(x):
        return lambda x: np.float32(1.0)
    return lambda x: np.float64(1.0)


@overload(zero)
def _ov_zero(x):
    if _is32(x):
        return lambda x: np.float32(0.0)
    return lambda x: np.float64(0.0)
