from srd.logs import to_file
from srd.pipeline.evaluate import table2_stage

to_file(snakemake.log[0])
table2_stage(snakemake.input.generated, snakemake.input.reference, snakemake.wildcards.dataset,
             snakemake.params.evaluate, snakemake.params.seed, snakemake.threads, snakemake.params.meta,
             snakemake.output.csv, snakemake.output.parquet)
