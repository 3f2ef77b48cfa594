checkpoint ingest:
    output:
        table="results/{dataset}/structures/{split}.parquet",
        rejects="results/{dataset}/structures/{split}.rejects.parquet",
    params:
        dataset=dataset_config,
        data=config["data"],
        ingest=config["ingest"],
        code=code_fingerprint("ingest"),
    log:
        "results/{dataset}/logs/ingest/{split}.log",
    benchmark:
        "results/{dataset}/benchmarks/ingest/{split}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    script:
        "../scripts/ingest.py"
