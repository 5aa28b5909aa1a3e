"""Batch assessment: the policy engine over columns (Polars here, Spark in :mod:`.spark`).

    from urrbmi.batch import assess_frame
    out = assess_frame(residents, "suixi-2022")   # Polars DataFrame in, DataFrame out

The same policy files drive it; a policy is compiled once into a column plan
(:mod:`urrbmi.batch.compile`) that both back ends render. docs/batch.md explains the design.
"""

from urrbmi.batch.compile import ERRORS, OUTPUTS, compile_policy
from urrbmi.batch.polars_backend import assess_frame, category_mask_of, encode

__all__ = ["ERRORS", "OUTPUTS", "assess_frame", "category_mask_of", "compile_policy", "encode"]
