import torch

from srd.logs import to_file
from srd.pipeline.train import train_stage

to_file(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
train_stage(snakemake.input.train, snakemake.input.scaler, snakemake.params.representation, snakemake.params.train,
            snakemake.params.seed, snakemake.output.checkpoint, snakemake.output.loss, snakemake.output.loss_png)
