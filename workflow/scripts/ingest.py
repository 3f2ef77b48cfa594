from srd.io import write_parquet
from srd.ingest import ingest_split
from srd.logs import to_file

to_file(snakemake.log[0])
table, rejects = ingest_split(snakemake.params.dataset, snakemake.params.data, snakemake.params.ingest,
                              snakemake.wildcards.split, desc=f"ingest {snakemake.wildcards.dataset}/{snakemake.wildcards.split}")
write_parquet(rejects, snakemake.output.rejects)
write_parquet(table, snakemake.output.table)
