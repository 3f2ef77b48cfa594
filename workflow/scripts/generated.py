from srd.logs import to_file
from srd.pipeline.reconstruct import generated_stage

to_file(snakemake.log[0])
generated_stage(snakemake.input, snakemake.output.parquet, snakemake.output.extxyz)
