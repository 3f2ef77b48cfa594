from srd.logs import to_file
from srd.pipeline.reconstruct import table1_stage

to_file(snakemake.log[0])
table1_stage(snakemake.input, snakemake.params.reconstruct, snakemake.params.meta, snakemake.output.parquet,
             snakemake.output.csv)
