# srd: crystal generation by diffusion in the EAD representation space (StructRepDiff).
# Main targets: results/{dataset}/table1.csv, results/{dataset}/table2.csv, results/table2.csv (see README).
from snakemake.utils import min_version, validate

min_version("8.20")


configfile: "config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/featurize.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/sample.smk"
include: "workflow/rules/reconstruct.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        "results/table2.csv",
        "results/table1.csv",
        "results/demo/plots/pca.png",
        "results/demo/plots/gallery.png",
