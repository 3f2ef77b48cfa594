from srd.logs import to_file
from srd.pipeline.evaluate import pca_stage

to_file(snakemake.log[0])
pca_stage(snakemake.input.test, snakemake.input.vectors, snakemake.input.scaler, snakemake.params.representation,
          snakemake.wildcards.dataset, snakemake.output[0])
