# srd: crystal generation by diffusion in the EAD representation space (StructRepDiff).
# Targets: results/{dataset}/features/{split}.done, results/{dataset}/features/scaler.json, ... (see README).
from snakemake.utils import min_version, validate

min_version("8.20")


configfile: "config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/featurize.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/sample.smk"


rule all:
    default_target: True
    input:
        "results/demo/features/scaler.json",
