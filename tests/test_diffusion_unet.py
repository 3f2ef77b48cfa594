"""The denoiser accepts any vector length (it pads to a multiple of 2^(stages-1) and crops back)."""

import pytest
import torch

from srd.diffusion.checkpoint import build_model
from srd.diffusion.presets import train_config


@pytest.mark.parametrize("preset", ["tiny", "cpu"])
@pytest.mark.parametrize("length", [704, 104 + 2 * 150, 1, 37])
def test_output_shape_equals_input_shape(preset, length):
    model = build_model(train_config({"preset": preset}))
    x = torch.randn(3, 1, length)
    out = model(x, torch.tensor([0, 7, 99]))
    assert out.shape == x.shape and torch.isfinite(out).all()


def test_paper_model_shape_and_size():
    torch.manual_seed(0)
    model = build_model(train_config({"preset": "paper"}))
    assert 10e6 < sum(p.numel() for p in model.parameters()) < 20e6  # dim 64, mults (1, 2, 4, 8): ~15.9 M
    for length in (704, 37):
        x = torch.randn(2, 1, length)
        with torch.no_grad():
            assert model(x, torch.tensor([0, 1999])).shape == x.shape


def test_padding_does_not_leak_between_samples():
    """Each sample's output depends on that sample only (GroupNorm, not BatchNorm)."""
    torch.manual_seed(0)
    model = build_model(train_config({"preset": "tiny"})).eval()
    x, t = torch.randn(2, 1, 37), torch.tensor([3, 3])
    with torch.no_grad():
        torch.testing.assert_close(model(x, t)[:1], model(x[:1], t[:1]), rtol=1e-4, atol=1e-5)
