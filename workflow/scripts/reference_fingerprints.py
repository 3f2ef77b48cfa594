from srd.logs import to_file
from srd.pipeline.evaluate import reference_stage

to_file(snakemake.log[0])
reference_stage(snakemake.input[0], snakemake.params.timeout, snakemake.threads, snakemake.output[0])
