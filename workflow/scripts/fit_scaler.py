from srd.logs import to_file
from srd.pipeline.data import fit_scaler_stage

to_file(snakemake.log[0])
fit_scaler_stage(snakemake.input[0], snakemake.params.representation, snakemake.output[0])
