import torch

from srd.featurize import featurize_shard
from srd.logs import to_file

to_file(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
featurize_shard(snakemake.input.table, int(snakemake.wildcards.shard), snakemake.params.representation,
                snakemake.params.featurize, snakemake.output[0])
