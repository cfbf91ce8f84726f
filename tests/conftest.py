import os

os.environ.setdefault("MPLBACKEND", "Agg")

from hypothesis import settings  # noqa: E402

settings.register_profile("lab", max_examples=25, deadline=None, derandomize=True)
settings.load_profile("lab")
