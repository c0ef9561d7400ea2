"""Test data shared by several test modules."""

from __future__ import annotations

# A minimal valid template; tests break one thing in it at a time.
GOOD_TEMPLATE = """\
schema = 1
id = "{id}"
title = "Test drug"
drug = "testumab"
route = "IV"
population = "adult"

[duration]
rule = "doses"
doses = 3
text = "for three doses"

[[schedules]]
every = "3w"
dose = {{ amount = 100, unit = "mg" }}
length = "30min"
sources = ["s"]

[[sources]]
id = "s"
address = "https://example.org/label"
supports = "everything"
mark = "label"
"""
