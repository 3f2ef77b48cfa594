from srd.logs import to_file
from srd.pipeline.evaluate import reference_stage

to_file(snakemake.log[0])
reference_stage(snakemake.input[0], snakemake.params.evaluate, snakemake.output[0])
