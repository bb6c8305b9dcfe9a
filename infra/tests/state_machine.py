"""The reconcile state machine's definition, as Step Functions would get it.

`ReconcileStateMachine` in infra/template.yaml keeps its Amazon States Language definition
as JSON inside `!Sub` (so that the number parameters become JSON numbers). `definition()`
renders that text the way CloudFormation would: each `${Parameter}` becomes the parameter's
default (or a value given in `parameters`), pseudo parameters and resource attributes become
fixed placeholders (`PLACEHOLDERS`), `${!x}` becomes `${x}`; then it parses the JSON.

The security tests (cfn_template.check_reconcile_definition) assert the contract on it, and an
end-to-end driver can run the steps in the definition's order with its payload templates:

    python infra/tests/state_machine.py infra/template.yaml            # defaults
    python infra/tests/state_machine.py infra/template.yaml ReconcileBatchSize=10

prints the definition as JSON on stdout.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Mapping

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cfn_template  # noqa: E402 - after the path set-up, for the CLI

STATE_MACHINE = "ReconcileStateMachine"

# What `${...}` names other than parameters stand for in the rendered definition.
PLACEHOLDERS = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "atlassian-lcm",
    "AWS::URLSuffix": "amazonaws.com",
    "LcmFunction.Arn": "arn:aws:lambda:us-east-1:123456789012:function:atlassian-lcm-LcmFunction",
    "LcmFunction": "atlassian-lcm-LcmFunction",
    "ReconcileBucket": "atlassian-lcm-reconcilebucket",
    "ReconcileBucket.Arn": "arn:aws:s3:::atlassian-lcm-reconcilebucket",
}

_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")


def definition_text(template: Mapping[str, Any]) -> str:
    """The definition's `!Sub` text, unrendered."""
    props = template["Resources"][STATE_MACHINE]["Properties"]
    assert "Definition" not in props and "DefinitionSubstitutions" not in props, (
        f"{STATE_MACHINE}: the definition is DefinitionString: !Sub (numbers stay numbers)"
    )
    sub = props.get("DefinitionString")
    assert isinstance(sub, dict) and set(sub) == {"Fn::Sub"}, f"{STATE_MACHINE}.DefinitionString must be !Sub"
    text = sub["Fn::Sub"]
    assert isinstance(text, str), f"{STATE_MACHINE}: use the one-argument form of !Sub"
    return text


def render(template: Mapping[str, Any], parameters: Mapping[str, Any] | None = None) -> str:
    """The definition text with every `${...}` replaced, as CloudFormation would."""
    values = {name: p.get("Default") for name, p in template.get("Parameters", {}).items()}
    values.update(parameters or {})

    def replace(match: re.Match[str]) -> str:
        literal, name = match.groups()
        if literal:
            return "${" + name + "}"
        if name in values:
            if values[name] is None:
                raise KeyError(f"parameter {name} has no default; pass a value")
            return str(values[name])
        if name in PLACEHOLDERS:
            return PLACEHOLDERS[name]
        raise KeyError(f"${{{name}}} in the definition is neither a parameter nor a known placeholder")

    return _VARIABLE.sub(replace, definition_text(template))


def definition_of(template: Mapping[str, Any], parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The rendered definition of a parsed template (as cfn_template.load_template gives it)."""
    return json.loads(render(template, parameters))


def definition(template_path: str | Path = cfn_template.TEMPLATE_PATH,
               parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The rendered definition of the template at `template_path` (parameter defaults,
    overridden by `parameters`; placeholder ARNs)."""
    return definition_of(cfn_template.load_template(Path(template_path)), parameters)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    overrides = {}
    for arg in argv[1:]:
        name, sep, value = arg.partition("=")
        if not sep:
            print(f"state_machine.py: expected Parameter=value, got {arg!r}", file=sys.stderr)
            return 2
        overrides[name] = value
    json.dump(definition(argv[0], overrides), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
