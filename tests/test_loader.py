"""Template files: every shipped one loads; each broken one fails with its exact message."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.catalog.loader import load_regimens, load_template, shipped_template_paths
from scheduler.errors import TemplateError
from tests_support import GOOD_TEMPLATE

SHIPPED_IDS = {
    "afami-cel",
    "atezolizumab-iv",
    "atezolizumab-iv-pediatric",
    "atezolizumab-sc",
    "pembrolizumab-iv",
    "pembrolizumab-iv-pediatric",
    "pembrolizumab-sc",
}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_shipped_template_loads_with_sources():
    regimens = [load_template(p, "shipped") for p in shipped_template_paths()]
    assert {r.id for r in regimens} == SHIPPED_IDS
    for regimen in regimens:
        assert regimen.sources and all(s.mark for s in regimen.sources)


def test_a_good_user_template_loads(tmp_path):
    regimen = load_template(write(tmp_path, "testumab", GOOD_TEMPLATE.format(id="testumab")))
    assert (regimen.id, regimen.schedules[0].every_days, regimen.duration.doses) == ("testumab", 21, 3)


BROKEN = [
    (
        "wrong id and interval",
        GOOD_TEMPLATE.format(id="other").replace('every = "3w"', 'every = "3 weeks"'),
        [
            "id: expected \"case\", the file name without .toml, got 'other'",
            'schedules[1].every: expected an interval like "3w" or "10d", got \'3 weeks\'',
        ],
    ),
    (
        "unknown key",
        GOOD_TEMPLATE.format(id="case").replace('route = "IV"', 'route = "IV"\ncolour = "red"'),
        [
            "colour: unknown key; expected one of: aliases, anchor, brands, drug, duration, event_title, id, "
            "ingredient, notes, population, route, schedules, schema, slot, sources, steps, title, who"
        ],
    ),
    (
        "negative dose and bad length",
        GOOD_TEMPLATE.format(id="case").replace("amount = 100", "amount = -5").replace('"30min"', '"half an hour"'),
        [
            "schedules[1].dose.amount: expected a positive number, got -5",
            'schedules[1].length: expected a length like "30min" or "1h", got \'half an hour\'',
        ],
    ),
    (
        "missing source and unknown mark",
        GOOD_TEMPLATE.format(id="case")
        .replace('sources = ["s"]', 'sources = ["nope"]')
        .replace('mark = "label"', 'mark = "blog"'),
        [
            'sources[1].mark: expected one of "label", "FDA", "trial", "patient info", "manufacturer", '
            '"non-US label", "EU text", "institutional", "ACS page", "seed", "unconfirmed", got \'blog\'',
            "schedules[1].sources: 'nope' is not the id of any [[sources]] entry",
        ],
    ),
    (
        "wrong schema and population",
        GOOD_TEMPLATE.format(id="case").replace("schema = 1", "schema = 2").replace('"adult"', '"elderly"'),
        [
            "schema: expected 1 (the only template schema this txcal reads), got 2",
            'population: expected one of "adult", "pediatric", got \'elderly\'',
        ],
    ),
    (
        "day zero in a step",
        GOOD_TEMPLATE.format(id="case").split("[[schedules]]")[0]
        + '[anchor]\ntitle = "Day 1"\ndefault_after = "2w"\n\n[[steps]]\nkey = "a"\nkind = "infusion"\ntitle = "A"\n'
        'day = 0\nlength = "1h"\n\n[[sources]]\nid = "s"\naddress = "x"\nsupports = "y"\nmark = "label"\n',
        ["steps[1].day: expected a non-zero day number (there is no Day 0), got 0"],
    ),
    (
        "a text dose's range half given",
        GOOD_TEMPLATE.format(id="case").replace('amount = 100, unit = "mg"', 'text = "1 to 2 × 10⁹ cells", low = 1'),
        ["schedules[1].dose: a text dose's range needs low, high and ucum together"],
    ),
    ("not TOML", "schema = 1\nid = \n", ["not valid TOML: Invalid value (at line 2, column 6)"]),
]


@pytest.mark.parametrize(("case", "text", "problems"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_template_reports_every_problem_at_once(tmp_path, case, text, problems):
    path = write(tmp_path, "case", text)
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert list(caught.value.problems) == problems
    assert str(caught.value).splitlines() == [f"{path}: {p}" for p in problems]


def test_user_template_with_a_shipped_id_replaces_it(tmp_path):
    write(tmp_path, "atezolizumab-iv", GOOD_TEMPLATE.format(id="atezolizumab-iv"))
    catalog = load_regimens([str(tmp_path)])
    assert catalog.replaced == ("atezolizumab-iv",)
    replaced = catalog.get("atezolizumab-iv")
    assert replaced is not None and replaced.origin == "user" and replaced.drug == "testumab"


def test_user_templates_from_the_environment(tmp_path, monkeypatch):
    write(tmp_path, "testumab", GOOD_TEMPLATE.format(id="testumab"))
    monkeypatch.setenv("TXCAL_TEMPLATES", str(tmp_path))
    assert load_regimens().get("testumab") is not None


def test_a_new_template_needs_no_code_change(txcal, tmp_path):
    """A template dropped in a folder is listed, planned, exported and checked like the shipped ones."""
    from scheduler.ical.check import check_ics
    from tests_support import GOOD_TEMPLATE, template_cases

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "testumab-iv.toml").write_text(GOOD_TEMPLATE.format(id="testumab-iv"), encoding="utf-8")
    assert "testumab-iv (user)" in txcal(f"regimens --templates {folder}").stdout
    cases = template_cases(sorted(folder.glob("*.toml")))
    assert list(cases) == ["template-testumab-iv-3w"]
    out = tmp_path / "plan.ics"
    result = txcal(f"{cases['template-testumab-iv-3w']} --templates {folder} -o {out}")
    assert result.exit_code == 0, result.stderr
    assert check_ics(out.read_bytes()) == []
    assert out.read_bytes().count(b"BEGIN:VEVENT") == 3
