import torch

from srd.logs import to_file
from srd.pipeline.sample import sample_stage

to_file(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
sample_stage(snakemake.input.checkpoint, snakemake.input.scaler, snakemake.input.train,
             snakemake.params.representation, snakemake.params.sample, snakemake.params.seed,
             snakemake.output.vectors, snakemake.output.samples)
