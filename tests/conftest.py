import sys
from pathlib import Path

# Make tests/policy/quote_helpers.py importable from policy tests.
sys.path.insert(0, str(Path(__file__).parent / "policy"))
