import sys
from pathlib import Path

# The example application sits beside its tests, as a small service's code would.
sys.path.insert(0, str(Path(__file__).parent))
