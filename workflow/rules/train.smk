rule train:
    input:
        train="results/{dataset}/features/train.done",
        scaler="results/{dataset}/features/scaler.json",
    output:
        checkpoint="results/{dataset}/model/checkpoint.pt",
        loss="results/{dataset}/model/loss.csv",
        loss_png=report(
            "results/{dataset}/model/loss.png",
            category="Training",
            labels={"dataset": "{dataset}", "figure": "training loss"},
        ),
    log:
        "results/{dataset}/logs/train/train.log",
    benchmark:
        "results/{dataset}/benchmarks/train/train.tsv"
    conda:
        GPU_ENV
    threads: config["resources"]["train"]["cpus_per_task"]
    resources:
        **stage_resources("train"),
    params:
        representation=config["representation"],
        train=lambda w: stage_config("train", w),
        seed=config["seed"],
        code=code_fingerprint("train.py"),
    script:
        "../scripts/train.py"
