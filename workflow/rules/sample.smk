rule sample:
    input:
        checkpoint="results/{dataset}/model/checkpoint.pt",
        scaler="results/{dataset}/features/scaler.json",
        train="results/{dataset}/features/train.done",
    output:
        vectors="results/{dataset}/generated/vectors.h5",
        samples="results/{dataset}/generated/samples.parquet",
    log:
        "results/{dataset}/logs/sample/sample.log",
    benchmark:
        "results/{dataset}/benchmarks/sample/sample.tsv"
    conda:
        GPU_ENV
    threads: config["resources"]["sample"]["cpus_per_task"]
    resources:
        **stage_resources("sample"),
    params:
        representation=config["representation"],
        sample=lambda w: stage_config("sample", w),
        seed=config["seed"],
        code=code_fingerprint("sample.py"),
    script:
        "../scripts/sample.py"
