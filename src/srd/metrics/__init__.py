"""Evaluation metrics of the CDVAE protocol (Table 1/2 of the paper): validity, coverage, property EMDs.

Entry points: ``readers.build_structure`` / ``readers.read_samples``, ``table2.load_or_compute_reference``,
``table2.evaluate_table2``. Nothing is imported here so that ``srd.metrics.readers`` stays light (no matminer).
"""
