"""The denoiser eps_theta(x_t, t): a 1-D U-Net over the representation vector (paper A.3.2).

Written in the style of lucidrains' denoising-diffusion-pytorch `Unet1D`: ResNet blocks of weight-standardised
convolutions + GroupNorm with a time-conditioned scale/shift, linear attention after each stage, skip connections
from the down to the up path, a sinusoidal time embedding and a final 1-D convolution. Any input length works:
it is zero-padded to a multiple of 2^(stages - 1) and cropped back.
"""

from __future__ import annotations

import math
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn


class SinusoidalPosEmb(nn.Module):
    """Transformer-style embedding of the (integer) diffusion step."""

    def __init__(self, dim: int, theta: float = 10_000.0):
        super().__init__()
        self.dim, self.theta = dim, theta

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        half = self.dim // 2
        freqs = torch.exp(torch.arange(half, device=t.device) * -(math.log(self.theta) / (half - 1)))
        args = t.float()[:, None] * freqs[None, :]
        return torch.cat((args.sin(), args.cos()), dim=-1)


class WeightStandardizedConv1d(nn.Conv1d):
    """Conv whose kernel is standardised per output channel (Kolesnikov et al. 2020); pairs well with GroupNorm."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        eps = 1e-5 if x.dtype == torch.float32 else 1e-3
        w = self.weight
        mean = w.mean(dim=(1, 2), keepdim=True)
        var = w.var(dim=(1, 2), keepdim=True, unbiased=False)
        return F.conv1d(x, (w - mean) * (var + eps).rsqrt(), self.bias, self.stride, self.padding)


class Block(nn.Module):
    def __init__(self, dim: int, dim_out: int, groups: int):
        super().__init__()
        self.proj = WeightStandardizedConv1d(dim, dim_out, 3, padding=1)
        self.norm = nn.GroupNorm(groups, dim_out)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor, scale_shift: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        x = self.norm(self.proj(x))
        if scale_shift is not None:
            scale, shift = scale_shift
            x = x * (scale + 1) + shift
        return self.act(x)


class ResnetBlock(nn.Module):
    """Two conv blocks; the time embedding sets a per-channel scale and shift of the first."""

    def __init__(self, dim: int, dim_out: int, *, time_dim: int, groups: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.SiLU(), nn.Linear(time_dim, dim_out * 2))
        self.block1 = Block(dim, dim_out, groups)
        self.block2 = Block(dim_out, dim_out, groups)
        self.res_conv = nn.Conv1d(dim, dim_out, 1) if dim != dim_out else nn.Identity()

    def forward(self, x: torch.Tensor, t_emb: torch.Tensor) -> torch.Tensor:
        scale_shift = self.mlp(t_emb)[..., None].chunk(2, dim=1)
        h = self.block2(self.block1(x, scale_shift))
        return h + self.res_conv(x)


class LinearAttention(nn.Module):
    """Pre-normed residual linear attention (softmax over features for q, over positions for k): O(length)."""

    def __init__(self, dim: int, heads: int, dim_head: int):
        super().__init__()
        self.heads, self.scale = heads, dim_head**-0.5
        hidden = heads * dim_head
        self.norm = nn.GroupNorm(1, dim)
        self.to_qkv = nn.Conv1d(dim, hidden * 3, 1, bias=False)
        self.to_out = nn.Sequential(nn.Conv1d(hidden, dim, 1), nn.GroupNorm(1, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, n = x.shape
        q, k, v = (z.reshape(b, self.heads, -1, n) for z in self.to_qkv(self.norm(x)).chunk(3, dim=1))
        q = q.softmax(dim=-2) * self.scale
        k = k.softmax(dim=-1)
        context = torch.einsum("bhdn,bhen->bhde", k, v)
        out = torch.einsum("bhde,bhdn->bhen", context, q)
        return x + self.to_out(out.reshape(b, -1, n))


def downsample(dim: int, dim_out: int) -> nn.Module:
    return nn.Conv1d(dim, dim_out, 4, stride=2, padding=1)


def upsample(dim: int, dim_out: int) -> nn.Module:
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv1d(dim, dim_out, 3, padding=1))


class Unet1D(nn.Module):
    """eps_theta: (batch, channels, length) noisy vectors and (batch,) integer steps -> predicted noise, same shape."""

    def __init__(self, dim: int = 64, dim_mults: tuple[int, ...] = (1, 2, 4, 8), channels: int = 1,
                 resnet_blocks: int = 2, norm_groups: int = 8, attn_heads: int = 4, attn_dim_head: int = 64):
        super().__init__()
        self.factor = 2 ** (len(dim_mults) - 1)
        time_dim = dim * 4
        self.time_mlp = nn.Sequential(SinusoidalPosEmb(dim), nn.Linear(dim, time_dim), nn.GELU(),
                                      nn.Linear(time_dim, time_dim))
        block = partial(ResnetBlock, time_dim=time_dim, groups=norm_groups)
        attention = partial(LinearAttention, heads=attn_heads, dim_head=attn_dim_head)
        blocks = lambda d_in, d_out: nn.ModuleList(block(d_in, d_out) for _ in range(resnet_blocks))  # noqa: E731

        self.init_conv = nn.Conv1d(channels, dim, 7, padding=3)
        dims = [dim, *(dim * m for m in dim_mults)]
        stages = list(zip(dims[:-1], dims[1:]))
        last = len(stages) - 1
        self.downs = nn.ModuleList(
            nn.ModuleList([blocks(d_in, d_in), attention(d_in),
                           downsample(d_in, d_out) if i < last else nn.Conv1d(d_in, d_out, 3, padding=1)])
            for i, (d_in, d_out) in enumerate(stages))
        mid = dims[-1]
        self.mid_blocks, self.mid_attn = blocks(mid, mid), attention(mid)
        self.ups = nn.ModuleList(
            nn.ModuleList([nn.ModuleList(block(d_out + d_in, d_out) for _ in range(resnet_blocks)), attention(d_out),
                           upsample(d_out, d_in) if i < last else nn.Conv1d(d_out, d_in, 3, padding=1)])
            for i, (d_in, d_out) in enumerate(reversed(stages)))
        self.final_block = block(dim * 2, dim)
        self.final_conv = nn.Conv1d(dim, channels, 1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        length = x.shape[-1]
        x = F.pad(x, (0, (-length) % self.factor))
        x = self.init_conv(x)
        r = x.clone()
        t_emb = self.time_mlp(t)

        skips = []
        for stage_blocks, attn, down in self.downs:
            for blk in stage_blocks:
                x = blk(x, t_emb)
                skips.append(x)
            x = attn(x)
            skips[-1] = x  # the stage's last skip carries the attention output
            x = down(x)

        x = self.mid_blocks[0](x, t_emb)
        x = self.mid_attn(x)
        for blk in self.mid_blocks[1:]:
            x = blk(x, t_emb)

        for stage_blocks, attn, up in self.ups:
            for blk in stage_blocks:
                x = blk(torch.cat((x, skips.pop()), dim=1), t_emb)
            x = up(attn(x))

        x = self.final_block(torch.cat((x, r), dim=1), t_emb)
        return self.final_conv(x)[..., :length]
