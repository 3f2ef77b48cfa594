"""Training runs write their outputs, resume exactly, and stop cleanly on a non-finite loss."""

import numpy as np
import pandas as pd
import pytest
import torch

import srd.diffusion.training as training
from srd.diffusion import sample, train
from srd.diffusion.checkpoint import load

CFG = {"preset": "tiny", "batch_size": 16, "checkpoint_every": 1}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models run as fast on one thread, and two threads on a busy 2-core machine are ~10x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data():
    return np.random.default_rng(0).normal(size=(48, 37)).astype(np.float32)


def test_resume_equals_uninterrupted_run(data, tmp_path):
    straight = train(data, tmp_path / "a", {**CFG, "epochs": 3}, seed=5)
    train(data, tmp_path / "b", {**CFG, "epochs": 2}, seed=5)
    resumed = train(data, tmp_path / "b", {**CFG, "epochs": 3}, seed=5)
    a, b = pd.read_csv(tmp_path / "a" / "loss.csv"), pd.read_csv(tmp_path / "b" / "loss.csv")
    assert list(b["epoch"]) == [1, 2, 3]
    np.testing.assert_allclose(b["loss"], a["loss"], rtol=1e-6)
    for key in ("model", "ema"):
        for name, tensor in load(straight)[key].items():
            torch.testing.assert_close(load(resumed)[key][name], tensor, msg=name)


def test_outputs_written_and_finished_run_is_not_repeated(data, tmp_path):
    path = train(data, tmp_path, {**CFG, "epochs": 2}, seed=0)
    assert path == tmp_path / "checkpoint.pt"
    assert (tmp_path / "loss.png").stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt", "loss.csv", "loss.png"]  # no temp files
    mtime = path.stat().st_mtime_ns
    train(data, tmp_path, {**CFG, "epochs": 2}, seed=0)
    assert path.stat().st_mtime_ns == mtime


def test_resume_refuses_a_different_run(data, tmp_path):
    train(data, tmp_path, {**CFG, "epochs": 1}, seed=0)
    with pytest.raises(ValueError, match="train.dim"):
        train(data, tmp_path, {**CFG, "epochs": 2, "dim": 16}, seed=0)
    with pytest.raises(ValueError, match="seed"):
        train(data, tmp_path, {**CFG, "epochs": 2}, seed=1)
    with pytest.raises(ValueError, match="training matrix differs"):
        train(data + 1, tmp_path, {**CFG, "epochs": 2}, seed=0)


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(data, tmp_path, monkeypatch):
    train(data, tmp_path, {**CFG, "epochs": 2}, seed=0)
    before = load(tmp_path / "checkpoint.pt")
    real = training.training_loss
    monkeypatch.setattr(training, "training_loss", lambda *args: real(*args) * float("nan"))
    with pytest.raises(FloatingPointError, match="epoch 3.*checkpoint of epoch 2"):
        train(data, tmp_path, {**CFG, "epochs": 4}, seed=0)
    after = load(tmp_path / "checkpoint.pt")
    assert after["epoch"] == 2 and after["losses"] == before["losses"]
    assert len(pd.read_csv(tmp_path / "loss.csv")) == 2


def test_bad_training_data_is_rejected(tmp_path):
    bad = np.zeros((4, 6), dtype=np.float32)
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="row 2"):
        train(bad, tmp_path, CFG, seed=0)


def test_sampling_is_seeded_and_batched(data, tmp_path):
    path = train(data, tmp_path, {**CFG, "epochs": 1}, seed=0)
    cfg = {"preset": "tiny", "batch_size": 4}
    first = sample(path, 6, cfg, seed=3)
    assert first.shape == (6, 37) and first.dtype == np.float32
    np.testing.assert_array_equal(first, sample(path, 6, cfg, seed=3))
    assert not np.allclose(first, sample(path, 6, cfg, seed=4))
    assert sample(path, None, cfg, seed=3).shape == (64, 37)  # n_samples from the config
