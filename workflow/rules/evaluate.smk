rule reference_fingerprints:
    input:
        "results/{dataset}/structures/test.parquet",
    output:
        "results/{dataset}/evaluate/reference.npz",
    log:
        "results/{dataset}/logs/evaluate/reference.log",
    benchmark:
        "results/{dataset}/benchmarks/evaluate/reference.tsv"
    conda:
        CPU_ENV
    threads: config["resources"]["evaluate"]["cpus_per_task"]
    resources:
        **stage_resources("evaluate"),
    params:
        timeout=lambda w: stage_config("evaluate", w)["timeout"],
        code=code_fingerprint("reference_fingerprints.py"),
    script:
        "../scripts/reference_fingerprints.py"


rule table2:
    input:
        generated="results/{dataset}/generated.parquet",
        reference="results/{dataset}/evaluate/reference.npz",
    output:
        csv="results/{dataset}/table2.csv",
        parquet="results/{dataset}/generation_metrics.parquet",
    log:
        "results/{dataset}/logs/evaluate/table2.log",
    benchmark:
        "results/{dataset}/benchmarks/evaluate/table2.tsv"
    conda:
        CPU_ENV
    threads: config["resources"]["evaluate"]["cpus_per_task"]
    resources:
        **stage_resources("evaluate"),
    params:
        evaluate=evaluate_config,
        seed=config["seed"],
        meta=lambda w: {"train_split": train_split(w)},
        code=code_fingerprint("table2.py"),
    script:
        "../scripts/table2.py"


rule gather_table2:
    input:
        existing_tables("table2.csv"),
    output:
        csv="results/table2.csv",
        html=report(
            "results/table2.html",
            category="Summary",
            labels={"table": "Table 2, all datasets"},
        ),
    log:
        "results/logs/gather_table2.log",
    benchmark:
        "results/benchmarks/gather_table2.tsv"
    conda:
        CPU_ENV
    threads: 1
    resources:
        **stage_resources("small"),
    params:
        code=code_fingerprint("gather_table2.py"),
    script:
        "../scripts/gather_table2.py"


rule gather_table1:
    input:
        existing_tables("table1.csv"),
    output:
        csv="results/table1.csv",
        html=report(
            "results/table1.html",
            category="Summary",
            labels={"table": "Table 1, all datasets"},
        ),
    log:
        "results/logs/gather_table1.log",
    benchmark:
        "results/benchmarks/gather_table1.tsv"
    conda:
        CPU_ENV
    threads: 1
    resources:
        **stage_resources("small"),
    params:
        code=code_fingerprint("gather_table1.py"),
    script:
        "../scripts/gather_table1.py"
