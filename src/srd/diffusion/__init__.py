"""Diffusion in representation space: the 1-D U-Net denoiser, DDPM training and sampling (paper 4.2, A.3.2-A.3.4)."""

from srd.diffusion.presets import SampleConfig, TrainConfig, sample_config, train_config
from srd.diffusion.sampling import sample
from srd.diffusion.training import train

__all__ = ["SampleConfig", "TrainConfig", "sample", "sample_config", "train", "train_config"]
