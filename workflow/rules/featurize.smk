rule featurize_shard:
    input:
        table="results/{dataset}/structures/{split}.parquet",
    output:
        "results/{dataset}/features/{split}/shard-{shard}.h5",
    log:
        "results/{dataset}/logs/featurize/{split}-{shard}.log",
    benchmark:
        "results/{dataset}/benchmarks/featurize/{split}-{shard}.tsv"
    conda:
        CPU_ENV
    threads: config["resources"]["featurize"]["cpus_per_task"]
    resources:
        **stage_resources("featurize"),
    params:
        representation=config["representation"],
        featurize=config["featurize"],
        code=code_fingerprint("featurize_shard.py"),
    script:
        "../scripts/featurize_shard.py"


rule features_done:
    input:
        feature_shards,
    output:
        "results/{dataset}/features/{split}.done",
    log:
        "results/{dataset}/logs/featurize/{split}-done.log",
    benchmark:
        "results/{dataset}/benchmarks/featurize/{split}-done.tsv"
    conda:
        CPU_ENV
    threads: 1
    resources:
        **stage_resources("small"),
    params:
        code=code_fingerprint("features_done.py"),
    script:
        "../scripts/features_done.py"


rule fit_scaler:
    input:
        "results/{dataset}/features/train.done",
    output:
        "results/{dataset}/features/scaler.json",
    log:
        "results/{dataset}/logs/featurize/scaler.log",
    benchmark:
        "results/{dataset}/benchmarks/featurize/scaler.tsv"
    conda:
        CPU_ENV
    threads: 1
    resources:
        **stage_resources("small"),
    params:
        representation=config["representation"],
        code=code_fingerprint("fit_scaler.py"),
    script:
        "../scripts/fit_scaler.py"
