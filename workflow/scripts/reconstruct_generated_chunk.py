import torch

from srd.logs import to_file
from srd.pipeline.reconstruct import generated_chunk_stage

to_file(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
generated_chunk_stage(snakemake.input.samples, snakemake.input.scaler, snakemake.input.sites,
                      int(snakemake.wildcards.chunk), snakemake.params.representation, snakemake.params.reconstruct,
                      snakemake.params.chunk_size, snakemake.params.seed, snakemake.output[0])
