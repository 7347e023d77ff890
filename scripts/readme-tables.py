#!/usr/bin/env python3
"""Rewrites the Inputs and Outputs tables of a Terraform module's README.md
from its variables.tf and outputs.tf (between the <!-- BEGIN_TF_DOCS --> and
<!-- END_TF_DOCS --> markers), so the tables never drift from the code.

usage: scripts/readme-tables.py DIR...    (--check: fail if out of date)
"""
import re
import sys
from pathlib import Path

BLOCK = re.compile(r'^(variable|output) "([^"]+)" \{\n(.*?)^\}', re.S | re.M)


def attr(body, name):
    m = re.search(r'^  %s\s*=\s*(.+)$' % name, body, re.M)
    if not m:
        return None
    value = m.group(1).strip()
    if value.startswith('"') and value.endswith('"'):
        value = value[1:-1].replace('\\"', '"')
    return value


def cell(text):
    return (text or "").replace("|", "\\|").replace("\n", " ")


def tables(d):
    rows = ["## Inputs", "", "| Name | Description | Type | Default | Required |", "| --- | --- | --- | --- | :---: |"]
    text = (d / "variables.tf").read_text() if (d / "variables.tf").exists() else ""
    for kind, name, body in BLOCK.findall(text):
        default = attr(body, "default")
        required = default is None
        shown = "n/a" if required else "`%s`" % (default if re.match(r'^(null|true|false|-?[0-9.]+|\[.*\]|\{.*\})$', default) else '"%s"' % default)
        rows.append("| %s | %s | `%s` | %s | %s |" % (name, cell(attr(body, "description")), cell(attr(body, "type")), cell(shown), "yes" if required else "no"))
    rows += ["", "## Outputs", "", "| Name | Description |", "| --- | --- |"]
    text = (d / "outputs.tf").read_text() if (d / "outputs.tf").exists() else ""
    for kind, name, body in BLOCK.findall(text):
        rows.append("| %s | %s |" % (name, cell(attr(body, "description"))))
    return "\n".join(rows)


def main(argv):
    check = "--check" in argv
    stale = []
    for arg in [a for a in argv if a != "--check"]:
        d = Path(arg)
        readme = d / "README.md"
        text = readme.read_text()
        begin, end = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"
        if begin not in text or end not in text:
            sys.exit("%s: no %s ... %s markers" % (readme, begin, end))
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        new = "%s%s\n%s\n%s%s" % (head, begin, tables(d), end, tail)
        if new != text:
            stale.append(str(readme))
            if not check:
                readme.write_text(new)
    if check and stale:
        sys.exit("README tables out of date (run scripts/readme-tables.py on them): " + " ".join(stale))


if __name__ == "__main__":
    main(sys.argv[1:])
