import torch

from srd.logs import to_file
from srd.pipeline.reconstruct import table1_chunk_stage

to_file(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
table1_chunk_stage(snakemake.input.table, snakemake.input.scaler, snakemake.input.sites, int(snakemake.wildcards.chunk),
                   snakemake.params.representation, snakemake.params.reconstruct, snakemake.params.table1,
                   snakemake.params.seed, snakemake.output[0])
