checkpoint ingest:
    output:
        table="results/{dataset}/structures/{split}.parquet",
        rejects="results/{dataset}/structures/{split}.rejects.parquet",
    log:
        "results/{dataset}/logs/ingest/{split}.log",
    benchmark:
        "results/{dataset}/benchmarks/ingest/{split}.tsv"
    conda:
        CPU_ENV
    threads: 1
    resources:
        **stage_resources("ingest"),
    params:
        dataset=dataset_source,
        data=config["data"],
        ingest=config["ingest"],
        code=code_fingerprint("ingest.py"),
    script:
        "../scripts/ingest.py"
