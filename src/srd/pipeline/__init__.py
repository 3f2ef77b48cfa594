"""Stage entry points: each reads its inputs from files, calls the library, writes its outputs atomically.

The Snakemake scripts in workflow/scripts only unpack `snakemake.*` and call one of these.
"""
