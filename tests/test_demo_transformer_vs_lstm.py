"""The transformer_vs_lstm demo in quick mode: it trains both models, both losses fall,
the parameter counts match, and its two PNGs open and are not blank."""
import numpy as np

from minigrad.demos import transformer_vs_lstm


def test_quick_run(tmp_path):
    out = tmp_path / "demo"
    r = transformer_vs_lstm.main(["--quick", "--out", str(out), "--no-progress",
                                  "--seconds", "0.3"])
    assert r["transformer_bpc"] < r["transformer_bpc_start"] - 0.5
    assert r["lstm_bpc"] < r["lstm_bpc_start"] - 0.3
    assert abs(r["lstm_params"] - r["transformer_params"]) / r["transformer_params"] < 0.05
    assert r["winner"] in ("Transformer", "LSTM")
    assert r["transformer_bpc_start"] > np.log2(r["vocab"]) - 1     # starts near uniform
    import matplotlib.image as mpimg
    for key in ("bpc_png", "attention_png"):
        img = mpimg.imread(r[key])
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
        assert img[..., :3].std() > 0.05, f"{key} looks blank"
    assert sorted(p.name for p in out.iterdir()) == ["attention.png", "bpc.png"]


def test_the_docstring_line_describes_the_demo():
    doc = transformer_vs_lstm.__doc__.splitlines()[0]
    assert "Transformer" in doc and "LSTM" in doc
