"""Presets, overrides and the errors a bad config must give."""

import pytest

from srd.diffusion.presets import SampleConfig, TrainConfig, sample_config, train_config


def test_paper_preset_has_paper_values():
    cfg = train_config({"preset": "paper"})
    assert (cfg.epochs, cfg.batch_size, cfg.lr, cfg.timesteps) == (2000, 64, 1e-4, 2000)
    assert (cfg.resnet_blocks, cfg.attn_heads, cfg.attn_heads * cfg.attn_dim_head) == (2, 4, 256)
    assert (cfg.cosine_s, cfg.max_beta) == (0.008, 0.999)
    assert train_config({}) == cfg == TrainConfig()


def test_overrides_apply_on_top_of_preset():
    cfg = train_config({"preset": "cpu", "epochs": 7, "dim_mults": [1, 2]})
    assert cfg.epochs == 7 and cfg.dim_mults == (1, 2) and cfg.dim == train_config({"preset": "cpu"}).dim
    assert sample_config({"sampler": "ddim", "ddim_steps": 50}) == SampleConfig(sampler="ddim", ddim_steps=50)


def test_unknown_key_is_named():
    with pytest.raises(ValueError, match="'epoch'"):
        train_config({"epoch": 3})
    with pytest.raises(ValueError, match="'steps'"):
        sample_config({"steps": 3})


@pytest.mark.parametrize("bad, match", [({"preset": "huge"}, "huge"), ({"lr": 0}, "train.lr"),
                                        ({"dim": 12, "norm_groups": 8}, "norm_groups"),
                                        ({"device": "tpu"}, "train.device"), ({"dim": 2, "norm_groups": 2}, "train.dim must be an even number"),
                                        ({"epochs": "ten"}, "train.epochs='ten' is not a valid int"),
                                        ({"dim_mults": [1, 2.5]}, "train.dim_mults=")])
def test_bad_values_are_named(bad, match):
    with pytest.raises(ValueError, match=match):
        train_config(bad)


def test_bad_sampler_and_device_are_named():
    with pytest.raises(ValueError, match="sample.sampler"):
        sample_config({"sampler": "euler"})
    with pytest.raises(ValueError, match="sample.device"):
        sample_config({"device": "gpu"})
    assert sample_config({"preset": "cpu", "device": "cpu"}).device == "cpu"
