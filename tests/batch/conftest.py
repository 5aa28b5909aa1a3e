import sys
from pathlib import Path

# Make tests/batch/strategies.py importable from the batch tests.
sys.path.insert(0, str(Path(__file__).parent))
