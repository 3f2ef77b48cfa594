"""The cosine schedule against its closed form (Nichol & Dhariwal 2021, eq. 17)."""

import math

import numpy as np
import pytest
import torch

from srd.diffusion.schedule import Schedule, cosine_alphas_bar, cosine_betas


@pytest.mark.parametrize("T", [10, 100, 2000])
def test_alphas_bar_monotone_and_matches_closed_form_until_clipping(T):
    sched = Schedule.cosine(T)
    ab = sched.alphas_bar.double().numpy()
    assert np.all(np.diff(ab) < 0) and ab[0] < 1 and ab[-1] > 0
    s = 0.008
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    closed = np.array([f(t) / f(0) for t in range(1, T + 1)])
    unclipped = cosine_betas(T) < 0.999
    # float32 storage: compare relatively where not clipped; the clipped tail is checked below
    np.testing.assert_allclose(ab[unclipped], closed[unclipped], rtol=1e-5)


def test_betas_clipped_at_max_beta():
    betas = cosine_betas(2000)
    assert betas.max() == pytest.approx(0.999) and betas[-1] == pytest.approx(0.999)
    assert np.all(betas > 0) and np.all(np.diff(betas) >= 0)
    raw = 1 - cosine_alphas_bar(2000)[1:] / cosine_alphas_bar(2000)[:-1]
    assert raw[-1] > 0.999  # the clip is active exactly where the closed form would reach 1
    assert cosine_betas(50, max_beta=0.5).max() == pytest.approx(0.5)


def test_q_sample_follows_eq6():
    sched = Schedule.cosine(100)
    x0, noise = torch.ones(3, 5), torch.full((3, 5), 2.0)
    t = torch.tensor([0, 50, 99])
    ab = sched.alphas_bar[t][:, None]
    torch.testing.assert_close(sched.q_sample(x0, t, noise), (ab.sqrt() + 2 * (1 - ab).sqrt()).expand(3, 5))
