"""Agreement of attention and the Transformer family with PyTorch (development oracle,
not a test: needs ``torch``). Each case builds the PyTorch module in float64, loads
its state dict (``.numpy()``) into the minigrad module unchanged, and prints the
largest difference of the outputs and of every input and parameter gradient.

    python benchmarks/torch_agreement_attention.py
"""
import _common  # noqa: F401  (the repository root on sys.path, threads pinned)
import numpy as np
import torch

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn

RNG = np.random.default_rng(0)


def _inputs(*shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    return ([torch.tensor(a, requires_grad=True) for a in arrays],
            [mg.tensor(a, requires_grad=True) for a in arrays])


def _compare(name, tmod, mmod, shapes, call_t, call_m):
    tmod = tmod.double()
    mmod.load_state_dict({k: v.detach().numpy() for k, v in tmod.state_dict().items()})
    mmod.to(mg.float64)
    tmod.eval()
    mmod.eval()
    tin, min_ = _inputs(*shapes)
    yt, ym = call_t(tmod, *tin), call_m(mmod, *min_)
    yt = yt if isinstance(yt, tuple) else (yt,)
    ym = ym if isinstance(ym, tuple) else (ym,)
    worst_y, loss_t, loss_m = 0.0, 0, 0
    for a, b in zip(yt, ym):
        if a is None:
            assert b is None, name
            continue
        a_ = a.detach().numpy()
        worst_y = max(worst_y, float(np.nanmax(np.abs(a_ - b.data))))
        assert np.array_equal(np.isnan(a_), np.isnan(b.data)), name
        w = RNG.standard_normal(a_.shape)
        loss_t = loss_t + (torch.nan_to_num(a) * torch.tensor(w)).sum()
        loss_m = loss_m + (mg.where(mg.tensor(np.isnan(b.data)), 0.0, b) * w).sum()
    loss_t.backward()
    loss_m.backward()
    worst_g = 0.0
    tparams = dict(tmod.named_parameters())
    for n_, p in mmod.named_parameters():
        g = tparams[n_].grad
        g = np.zeros(p.shape) if g is None else g.numpy()
        worst_g = max(worst_g, float(np.max(np.abs(g - (0 if p.grad is None else p.grad)))))
    for a, b in zip(tin, min_):
        if a.grad is not None:
            worst_g = max(worst_g, float(np.max(np.abs(a.grad.numpy() - b.grad))))
    print(f"{name:58s} output {worst_y:8.1e}   gradients {worst_g:8.1e}")
    return max(worst_y, worst_g)


def main():
    worst = 0.0
    N, L, S, E, H = 3, 5, 7, 8, 2
    bool_attn = RNG.random((L, S)) > 0.7
    kpm = np.zeros((N, S), bool)
    kpm[0, 4:] = True
    partial = kpm.copy()
    kpm[2, :] = True                                  # a fully padded sequence: NaN or 0
    float_attn = RNG.standard_normal((N * H, L, S))
    for kw_t, kw_m, label in [
        ({}, {}, "plain"),
        (dict(attn_mask=torch.tensor(bool_attn)), dict(attn_mask=bool_attn), "bool attn_mask"),
        (dict(attn_mask=torch.tensor(float_attn)), dict(attn_mask=float_attn),
         "float (N*H, L, S) attn_mask"),
        (dict(key_padding_mask=torch.tensor(kpm[:2])), dict(key_padding_mask=kpm[:2]),
         "key_padding_mask"),
        (dict(key_padding_mask=torch.tensor(kpm[:2]), need_weights=False),
         dict(key_padding_mask=kpm[:2], need_weights=False), "need_weights=False"),
        (dict(average_attn_weights=False), dict(average_attn_weights=False), "per head"),
    ]:
        n = 2 if "key_padding_mask" in kw_m else N
        worst = max(worst, _compare(
            f"MultiheadAttention {label}", torch.nn.MultiheadAttention(E, H),
            nn.MultiheadAttention(E, H), [(L, n, E), (S, n, E), (S, n, E)],
            lambda m, q, k, v, kw=kw_t: m(q, k, v, **kw),
            lambda m, q, k, v, kw=kw_m: m(q, k, v, **kw)))
    for need in (True, False):          # PyTorch: NaN with the weights, zeros without
        worst = max(worst, _compare(
            f"MultiheadAttention fully padded sequence, need_weights={need}",
            torch.nn.MultiheadAttention(E, H, batch_first=True),
            nn.MultiheadAttention(E, H, batch_first=True), [(N, L, E), (N, S, E), (N, S, E)],
            lambda m, q, k, v, need=need: m(q, k, v, key_padding_mask=torch.tensor(kpm),
                                            need_weights=need)[0][:2],
            lambda m, q, k, v, need=need: m(q, k, v, key_padding_mask=kpm,
                                            need_weights=need)[0][:2]))
        with torch.no_grad():
            tm = torch.nn.MultiheadAttention(E, H, batch_first=True).double()
            mm = nn.MultiheadAttention(E, H, batch_first=True).to(mg.float64)
            mm.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
            x, y = RNG.standard_normal((N, L, E)), RNG.standard_normal((N, S, E))
            a = tm(torch.tensor(x), *(torch.tensor(y),) * 2,
                   key_padding_mask=torch.tensor(kpm), need_weights=need)
            b = mm(mg.tensor(x), *(mg.tensor(y),) * 2, key_padding_mask=kpm,
                   need_weights=need)
            same = all(np.array_equal(np.isnan(u.numpy()), np.isnan(w.data))
                       for u, w in zip(a, b) if u is not None)
            print(f"  the padded sequence's output: torch {a[0][2, 0, 0].item():.3g}, "
                  f"minigrad {b[0].data[2, 0, 0]:.3g}; same NaN pattern: {same}")
    worst = max(worst, _compare(
        "MultiheadAttention batch_first kdim/vdim, no bias",
        torch.nn.MultiheadAttention(E, H, bias=False, kdim=3, vdim=5, batch_first=True),
        nn.MultiheadAttention(E, H, bias=False, kdim=3, vdim=5, batch_first=True),
        [(N, L, E), (N, S, 3), (N, S, 5)], lambda m, *a: m(*a), lambda m, *a: m(*a)))
    worst = max(worst, _compare(
        "MultiheadAttention unbatched",
        torch.nn.MultiheadAttention(E, H), nn.MultiheadAttention(E, H),
        [(L, E), (S, E), (S, E)], lambda m, *a: m(*a), lambda m, *a: m(*a)))
    causal_t = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    causal_m = nn.Transformer.generate_square_subsequent_mask(L, dtype=mg.float64)
    for act, norm_first in (("relu", False), ("gelu", True)):
        kw = dict(dim_feedforward=16, dropout=0.1, activation=act, norm_first=norm_first)
        worst = max(worst, _compare(
            f"TransformerEncoderLayer {act} norm_first={norm_first} causal",
            torch.nn.TransformerEncoderLayer(E, H, **kw), nn.TransformerEncoderLayer(E, H, **kw),
            [(L, N, E)], lambda m, x: m(x, src_mask=causal_t, is_causal=True),
            lambda m, x: m(x, src_mask=causal_m, is_causal=True)))
        worst = max(worst, _compare(
            f"TransformerDecoderLayer {act} norm_first={norm_first}",
            torch.nn.TransformerDecoderLayer(E, H, batch_first=True, **kw),
            nn.TransformerDecoderLayer(E, H, batch_first=True, **kw),
            [(N, L, E), (N, S, E)],
            lambda m, x, mem: m(x, mem, tgt_mask=causal_t,
                                memory_key_padding_mask=torch.tensor(partial)),
            lambda m, x, mem: m(x, mem, tgt_mask=causal_m, memory_key_padding_mask=partial)))
    worst = max(worst, _compare(
        "TransformerEncoder (3 layers, final norm), padding",
        torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, H, 16), 3,
                                    torch.nn.LayerNorm(E), enable_nested_tensor=False),
        nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, 16), 3, nn.LayerNorm(E)),
        [(S, 2, E)], lambda m, x: m(x, src_key_padding_mask=torch.tensor(kpm[:2])),
        lambda m, x: m(x, src_key_padding_mask=kpm[:2])))
    worst = max(worst, _compare(
        "Transformer (2+2 layers)",
        torch.nn.Transformer(E, H, 2, 2, 16), nn.Transformer(E, H, 2, 2, 16),
        [(S, N, E), (L, N, E)], lambda m, s, t: m(s, t, tgt_mask=causal_t),
        lambda m, s, t: m(s, t, tgt_mask=causal_m)))
    q, k, v = (RNG.standard_normal((N, H, L, E)) for _ in range(3))
    a = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(x) for x in (q, k, v)), is_causal=True).numpy()
    b = F.scaled_dot_product_attention(*(mg.tensor(x) for x in (q, k, v)), is_causal=True)
    print(f"{'scaled_dot_product_attention causal':58s} output "
          f"{np.abs(a - b.data).max():8.1e}")
    print(f"worst difference: {worst:.1e}")


if __name__ == "__main__":
    main()
