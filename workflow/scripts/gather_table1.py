from srd.logs import to_file
from srd.pipeline.evaluate import gather_table1

to_file(snakemake.log[0])
gather_table1(snakemake.input, snakemake.output.csv, snakemake.output.html)
