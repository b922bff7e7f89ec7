"""The refusals the services can send, read from their Swift sources.

Every `DomainError` a service throws is written as a case constructor with labelled arguments,
e.g. `DomainError.failedPrecondition(rule: "a {0} is closed once", detail: "...")`. The server
sends each text as a template, its `\\(...)` interpolations numbered `{0}`, `{1}`, … in order
(ServiceKit's `RuleText`), in the status's google.rpc.ErrorInfo. This module finds the same
templates in the sources, so a test can demand a Chinese text for each.

Run as a script, it prints the templates and field names as JSON.
"""

import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "Shared" / "ServiceKit", *sorted((ROOT / "Services").glob("*/Sources"))]
CASES = ("invalidArgument", "failedPrecondition", "alreadyExists", "permissionDenied", "unauthenticated", "notFound")
CONSTRUCTOR = re.compile(r"\.(" + "|".join(CASES) + r")\(\s*(field|rule|reason|resource):")
TEXT_LABELS = ("rule", "detail", "reason")


def _string_literal(source, start):
    """The template of the string literal opening at `start` and the index after it.

    Interpolations become `{0}`, `{1}`, …; nested literals inside an interpolation are skipped.
    """
    assert source[start] == '"'
    if source.startswith('"""', start):
        raise ValueError("multi-line literals are not used for refusals")
    template, index, number = [], start + 1, 0
    while True:
        char = source[index]
        if char == '"':
            return "".join(template), index + 1
        if char == "\\":
            following = source[index + 1]
            if following == "(":
                index = _skip_parenthesised(source, index + 1)
                template.append("{%d}" % number)
                number += 1
                continue
            template.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(following, following))
            index += 2
            continue
        template.append(char)
        index += 1


def _skip_parenthesised(source, start):
    """The index after the parenthesis closing the one at `start`, skipping string literals."""
    depth, index = 0, start
    while True:
        char = source[index]
        if char == '"':
            _, index = _string_literal(source, index)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1


def _arguments(source, start):
    """Labelled arguments of the call whose `(` is at `start`: {label: template or None}.

    A value that is not one string literal is None (a text passed along, e.g. a caught rule).
    """
    arguments, index, end = {}, start + 1, _skip_parenthesised(source, start)
    for match in re.finditer(r"(\w+):\s*", source[index:end]):
        label, value_start = match.group(1), index + match.end()
        if label not in ("field", "rule", "detail", "reason", "resource", "id", "peer"):
            continue
        if source[value_start] == '"':
            text, after = _string_literal(source, value_start)
            rest = source[after:end].lstrip()
            arguments[label] = text if rest.startswith((",", ")")) or not rest else None
        else:
            arguments[label] = None
    return arguments


def refusals():
    """Every refusal written in the sources: a list of (file, case, {label: template or None})."""
    found = []
    for directory in SOURCES:
        for path in sorted(directory.rglob("*.swift")):
            if path.name.endswith((".pb.swift", ".grpc.swift")):
                continue
            source = path.read_text(encoding="utf-8")
            for match in CONSTRUCTOR.finditer(source):
                found.append((path.relative_to(ROOT), match.group(1), _arguments(source, match.end(1))))
    return found


def texts():
    """The rule, detail and reason templates and the field names the services can send."""
    templates, fields, resources = set(), set(), set()
    for _, _, arguments in refusals():
        for label in TEXT_LABELS:
            if arguments.get(label):
                templates.add(arguments[label])
        if arguments.get("field") and field_name(arguments["field"]):
            fields.add(field_name(arguments["field"]))
        if arguments.get("resource"):
            resources.add(arguments["resource"])
    for directory in SOURCES:
        for path in directory.rglob("*.swift"):
            if path.name.endswith((".pb.swift", ".grpc.swift")):
                continue
            source = path.read_text(encoding="utf-8")
            resources.update(re.findall(r'static let resourceName = "([^"]+)"', source))
            # Fields named to the validation helpers (FieldValidation, DivisionCode, …), which
            # put them in the refusals they throw.
            for match in re.finditer(r'\bfield: "', source):
                name = field_name(_string_literal(source, match.end() - 1)[0])
                if name:
                    fields.add(name)
            for match in re.finditer(r'orNotFound\(("|\w)', source):
                if match.group(1) == '"':
                    resources.add(_string_literal(source, match.start(1))[0])
    return templates, fields, resources


def field_name(path):
    """The last name of a field path, as the console looks it up: `cases[{0}].report_time` →
    `report_time`; empty for a path made only of values passed along (`{0}[{1}]`)."""
    last = re.sub(r"\[[^\]]*\]", "", path).split(".")[-1]
    return re.sub(r"\{\d+\}", "", last)


if __name__ == "__main__":
    templates, fields, resources = texts()
    json.dump(
        {"templates": sorted(templates), "fields": sorted(fields), "resources": sorted(resources)},
        sys.stdout, ensure_ascii=False, indent=1)
