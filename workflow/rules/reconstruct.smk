rule site_prior:
    input:
        table="results/{dataset}/structures/train.parquet",
    output:
        "results/{dataset}/site_prior.json",
    log:
        "results/{dataset}/logs/reconstruct/site_prior.log",
    benchmark:
        "results/{dataset}/benchmarks/reconstruct/site_prior.tsv"
    conda:
        CPU_ENV
    threads: 1
    resources:
        **stage_resources("small"),
    params:
        symprec=site_prior_symprec,
        code=code_fingerprint("site_prior.py"),
    script:
        "../scripts/site_prior.py"


rule reconstruct_test_chunk:
    input:
        table="results/{dataset}/structures/test.parquet",
        scaler="results/{dataset}/features/scaler.json",
        sites="results/{dataset}/site_prior.json",
    output:
        "results/{dataset}/recon/chunk-{chunk}.parquet",
    log:
        "results/{dataset}/logs/reconstruct/test-{chunk}.log",
    benchmark:
        "results/{dataset}/benchmarks/reconstruct/test-{chunk}.tsv"
    conda:
        CPU_ENV
    threads: config["resources"]["reconstruct"]["cpus_per_task"]
    resources:
        **stage_resources("reconstruct"),
    params:
        representation=config["representation"],
        reconstruct=lambda w: stage_config("reconstruct", w),
        table1=lambda w: stage_config("table1", w),
        seed=config["seed"],
        code=code_fingerprint("reconstruct_test_chunk.py"),
    script:
        "../scripts/reconstruct_test_chunk.py"


rule table1:
    input:
        table1_chunks,
    output:
        parquet="results/{dataset}/reconstruction.parquet",
        csv="results/{dataset}/table1.csv",
    log:
        "results/{dataset}/logs/reconstruct/table1.log",
    benchmark:
        "results/{dataset}/benchmarks/reconstruct/table1.tsv"
    conda:
        CPU_ENV
    threads: 1
    resources:
        **stage_resources("small"),
    params:
        code=code_fingerprint("table1.py"),
        reconstruct=lambda w: stage_config("reconstruct", w),
        meta=lambda w: {"dataset": w.dataset, "train_split": train_split(w)},
    script:
        "../scripts/table1.py"


rule reconstruct_generated_chunk:
    input:
        samples="results/{dataset}/generated/samples.parquet",
        scaler="results/{dataset}/features/scaler.json",
        sites="results/{dataset}/site_prior.json",
    output:
        "results/{dataset}/generated/chunk-{chunk}.parquet",
    log:
        "results/{dataset}/logs/reconstruct/generated-{chunk}.log",
    benchmark:
        "results/{dataset}/benchmarks/reconstruct/generated-{chunk}.tsv"
    conda:
        CPU_ENV
    threads: config["resources"]["reconstruct"]["cpus_per_task"]
    resources:
        **stage_resources("reconstruct"),
    params:
        representation=config["representation"],
        reconstruct=lambda w: stage_config("reconstruct", w),
        chunk_size=lambda w: stage_config("generated", w)["chunk_size"],
        seed=config["seed"],
        code=code_fingerprint("reconstruct_generated_chunk.py"),
    script:
        "../scripts/reconstruct_generated_chunk.py"


rule generated:
    input:
        generated_chunks,
    output:
        parquet="results/{dataset}/generated.parquet",
        extxyz="results/{dataset}/generated.extxyz",
    log:
        "results/{dataset}/logs/reconstruct/generated.log",
    benchmark:
        "results/{dataset}/benchmarks/reconstruct/generated.tsv"
    conda:
        CPU_ENV
    threads: 1
    resources:
        **stage_resources("small"),
    params:
        code=code_fingerprint("generated.py"),
    script:
        "../scripts/generated.py"
