from srd.featurize import write_manifest
from srd.logs import to_file

to_file(snakemake.log[0])
write_manifest(snakemake.input, snakemake.output[0])
