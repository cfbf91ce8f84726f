"""The README's generated parts (``lab.readme``) match the committed result files they are built from."""
from lab import readme


def test_readme_generated_parts_are_current():
    text = (readme.ROOT / "README.md").read_text()
    assert readme.render(text) == text, "README is stale: run `python -m lab readme`"


def test_gpu_verdict_table_names_every_sims_study():
    from lab.sims import suite

    table = readme.gpu_verdicts()
    assert all(f"| {name} |" in table for name in suite.STUDIES)
