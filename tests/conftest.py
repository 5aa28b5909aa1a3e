"""Settings for the whole test run: the validated-policy cache (urrbmi.policy.store) in a
directory of the run's own, not the user's ~/.cache (unless URRBMI_CACHE_DIR is set)."""

from __future__ import annotations

import os
import tempfile

if "URRBMI_CACHE_DIR" not in os.environ:
    _CACHE = tempfile.TemporaryDirectory(prefix="urrbmi-test-cache-")
    os.environ["URRBMI_CACHE_DIR"] = _CACHE.name
