"""Batch assessment: the policy engine over tables (Polars here, Spark in :mod:`.spark`).

    from urrbmi.batch import assess_frame
    out = assess_frame(residents, "suixi-2022")   # Polars DataFrame in, DataFrame out

Two ways to price a table (docs/batch.md): by profiles (:mod:`urrbmi.batch.profiles`: the scalar
engine quotes each distinct profile once, joined back; every rule kind, by construction) and by
the compiled column plan (:mod:`urrbmi.batch.compile`, rendered to Polars and Spark; faster on
tables of many profiles, only for the rule kinds it implements). ``engine="auto"`` chooses.
"""

from urrbmi.batch.compile import ERRORS, OUTPUTS, NotCompiled, compile_policy
from urrbmi.batch.polars_backend import assess_frame, category_mask_of, encode
from urrbmi.batch.profiles import assess_profiles

__all__ = [
    "ERRORS",
    "OUTPUTS",
    "NotCompiled",
    "assess_frame",
    "assess_profiles",
    "category_mask_of",
    "compile_policy",
    "encode",
]
