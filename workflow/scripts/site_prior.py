from srd.logs import to_file
from srd.pipeline.reconstruct import site_prior_stage

to_file(snakemake.log[0])
site_prior_stage(snakemake.input.table, snakemake.params.symprec, snakemake.output[0])
