"""Known answer: a small model trained briefly on a 4-D Gaussian mixture reproduces its mean and covariance.

The data are two equally likely modes at +c and -c, c = (1, 1/3, -1/3, -1), with isotropic spread 0.3, so the
covariance c c^T + 0.09 I has entries up to 1.09. Tolerances: 0.2 on every mean coordinate (a 2,000-sample estimate
of the mode balance alone moves it by ~0.02 per percent of imbalance) and 0.15 on every covariance entry.
"""

import numpy as np
import pandas as pd
import pytest
import torch

from srd.diffusion import sample, train

N_SAMPLES = 2000
TOY = {"preset": "tiny", "epochs": 60, "batch_size": 256, "lr": 3e-3, "dim": 16, "dim_mults": [1],
       "resnet_blocks": 1, "checkpoint_every": 60}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as fast for a tiny model, and two threads on a busy 2-core machine are ~10x slower
    rng = np.random.default_rng(0)
    c = np.linspace(1.0, -1.0, 4)
    X = (rng.choice([-1.0, 1.0], size=2048)[:, None] * c + 0.3 * rng.normal(size=(2048, 4))).astype(np.float32)
    out = tmp_path_factory.mktemp("toy")
    yield X, train(X, out, TOY, seed=0), out
    torch.set_num_threads(threads)


def test_training_loss_decreases(toy):
    loss = pd.read_csv(toy[2] / "loss.csv")["loss"].to_numpy()
    assert len(loss) == TOY["epochs"]
    assert loss[-10:].mean() < 0.5 * loss[0]


@pytest.mark.parametrize("sampler", ["ancestral", "ddim"])
def test_samples_match_mean_and_covariance(toy, sampler):
    X, path, _ = toy
    S = sample(path, N_SAMPLES, {"preset": "tiny", "sampler": sampler, "ddim_steps": 20, "batch_size": N_SAMPLES},
               seed=1)
    assert np.abs(S.mean(axis=0) - X.mean(axis=0)).max() < 0.2
    assert np.abs(np.cov(S.T) - np.cov(X.T)).max() < 0.15


def test_ddim_with_eta_zero_is_a_deterministic_map_of_the_noise(toy):
    _, path, _ = toy
    cfg = {"preset": "tiny", "sampler": "ddim", "ddim_steps": 10}
    np.testing.assert_array_equal(sample(path, 8, cfg, seed=2), sample(path, 8, cfg, seed=2))
