"""The NumPy step functions: one time step of each cell, the readable twin of the kernels.

Used when ``mg.config.use_numba`` is off, and as the reference the kernels are
tested against. Arrays are the op's 2-D buffers (legend in the package
docstring); each function takes only the ones it uses (bound by name, see
:func:`.cells.step_arguments`) and ends with the step's rows
``row, prow, nrow``. ``bh`` is b_hh (G*H,): the binder adds b_ih to XP once
for all steps.
"""
import numpy as np


def _sigmoid(x):
    # 1 / (1 + e^-x) without overflow warnings: sigma(x) = (1 + tanh(x/2)) / 2
    return 0.5 * np.tanh(0.5 * x) + 0.5


def _blocks(a, n, H):
    return [a[:, k * H:(k + 1) * H] for k in range(n)]


def _gates(XP, R, bh, row, H):
    """Per gate k: (XP[step rows] + R + bh)[:, kH:(k+1)H]."""
    B = R.shape[0]
    a = XP[row:row + B] + R + bh
    return _blocks(a, R.shape[1] // H, H)


def lstm_forward(XP, R, bh, S, Wk, row, prow, nrow):
    B, H = R.shape[0], S.shape[2]
    i, f, g, o = _gates(XP, R, bh, row, H)
    i, f, o, g = _sigmoid(i), _sigmoid(f), _sigmoid(o), np.tanh(g)
    c = f * S[1, prow:prow + B] + i * g
    tc = np.tanh(c)
    S[0, nrow:nrow + B] = o * tc
    S[1, nrow:nrow + B] = c
    w = Wk[row:row + B]
    w[:, :H], w[:, H:2 * H], w[:, 2 * H:3 * H], w[:, 3 * H:4 * H], w[:, 4 * H:] = i, f, g, o, tc


def lstm_backward(dOut, S, Wk, dS, dRec, dGh, row, prow, nrow):
    B, H = dRec.shape
    i, f, g, o, tc = _blocks(Wk[row:row + B], 5, H)
    dh = dOut[row:row + B] + dS[0] + dRec
    dc = dS[1] + dh * o * (1 - tc * tc)
    d = dGh[row:row + B]
    d[:, :H] = dc * g * i * (1 - i)
    d[:, H:2 * H] = dc * S[1, prow:prow + B] * f * (1 - f)
    d[:, 2 * H:3 * H] = dc * i * (1 - g * g)
    d[:, 3 * H:] = dh * tc * o * (1 - o)
    dS[0] = 0
    dS[1] = dc * f


def gru_forward(XP, R, bh, S, Wk, row, prow, nrow):
    B, H = R.shape[0], S.shape[2]
    x = XP[row:row + B]
    r = _sigmoid(x[:, :H] + R[:, :H] + bh[:H])
    z = _sigmoid(x[:, H:2 * H] + R[:, H:2 * H] + bh[H:2 * H])
    rn = R[:, 2 * H:] + bh[2 * H:]
    n = np.tanh(x[:, 2 * H:] + r * rn)
    hp = S[0, prow:prow + B]
    S[0, nrow:nrow + B] = n + z * (hp - n)
    w = Wk[row:row + B]
    w[:, :H], w[:, H:2 * H], w[:, 2 * H:3 * H], w[:, 3 * H:] = r, z, n, rn


def gru_backward(dOut, S, Wk, dS, dRec, dGh, dGi, row, prow, nrow):
    B, H = dRec.shape
    r, z, n, rn = _blocks(Wk[row:row + B], 4, H)
    dh = dOut[row:row + B] + dS[0] + dRec
    hp = S[0, prow:prow + B]
    dan = dh * (1 - z) * (1 - n * n)
    dar = dan * rn * r * (1 - r)
    daz = dh * (hp - n) * z * (1 - z)
    gh, gi = dGh[row:row + B], dGi[row:row + B]
    gh[:, :H] = gi[:, :H] = dar
    gh[:, H:2 * H] = gi[:, H:2 * H] = daz
    gh[:, 2 * H:] = dan * r
    gi[:, 2 * H:] = dan
    dS[0] = dh * z


def rnn_forward(XP, R, bh, S, relu, row, prow, nrow):
    B, H = R.shape
    (a,) = _gates(XP, R, bh, row, H)
    S[0, nrow:nrow + B] = np.maximum(a, 0) if relu else np.tanh(a)


def rnn_backward(dOut, S, dS, dRec, dGh, relu, row, prow, nrow):
    B = dRec.shape[0]
    dh = dOut[row:row + B] + dS[0] + dRec
    h = S[0, nrow:nrow + B]
    dGh[row:row + B] = dh * (h > 0) if relu else dh * (1 - h * h)
    dS[0] = 0


def binders(spec):
    """(forward_binder, backward_binder) of the NumPy path for ``spec`` (see the package doc)."""
    from .cells import step_arguments
    fwd, bwd, constants = spec.numpy_forward, spec.numpy_backward, dict(spec.constants)

    def bind_forward(XP, R, bias, S, Wk):
        XP += bias[0]                                # b_ih once for all steps
        args = step_arguments(fwd, dict(XP=XP, R=R, bh=bias[1], S=S, Wk=Wk, **constants))
        return lambda row, prow, nrow: fwd(*args, row, prow, nrow)

    def bind_backward(dOut, S, Wk, dS, dRec, dGh, dGi):
        args = step_arguments(bwd, dict(dOut=dOut, S=S, Wk=Wk, dS=dS, dRec=dRec, dGh=dGh,
                                        dGi=dGi, **constants))
        return lambda row, prow, nrow: bwd(*args, row, prow, nrow)

    return bind_forward, bind_backward


def _numpy_steps(cell):
    """The NumPy binders of the cell named ``cell``."""
    from .cells import cell_spec
    return binders(cell_spec(cell))
