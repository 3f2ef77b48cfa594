from srd.featurize import fit_scaler
from srd.logs import to_file

to_file(snakemake.log[0])
fit_scaler(snakemake.input[0], snakemake.params.representation, snakemake.output[0])
