"""One torch thread for the whole suite: on a 2-core CI machine, two threads per test process fight with the
Snakemake subprocesses of the workflow tests and make timings erratic (up to 10x slower)."""

import torch

torch.set_num_threads(1)
