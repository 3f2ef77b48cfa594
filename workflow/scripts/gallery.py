from srd.logs import to_file
from srd.pipeline.evaluate import gallery_stage

to_file(snakemake.log[0])
gallery_stage(snakemake.input[0], snakemake.wildcards.dataset, snakemake.output[0])
