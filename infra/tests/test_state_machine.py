"""infra/tests/state_machine.py: the rendered reconcile definition, for these tests and for
an end-to-end driver; cfn-lint's state machine rule (E3601) on that rendered definition."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

import cfn_template as cfn
import state_machine

TEMPLATE = cfn.load_template()
SCRIPT = Path(state_machine.__file__)


def _lint_definition(definition: dict[str, Any]) -> list[str]:
    """cfn-lint skips a DefinitionString built by !Sub; lint the rendered JSON instead."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "ReconcileStateMachine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": "arn:aws:iam::123456789012:role/atlassian-lcm-reconcile",
                    "DefinitionString": json.dumps(definition),
                },
            }
        },
    }
    matches = lint(json.dumps(template), config=ManualArgs(regions=["us-east-1"], include_checks=["I"]))
    return [str(m) for m in matches]


def test_rendered_definition_passes_cfn_lint() -> None:
    assert _lint_definition(state_machine.definition()) == []


def test_cfn_lint_catches_a_broken_definition() -> None:
    broken = state_machine.definition()
    broken["States"]["ApplyBatches"]["Type"] = "Mapp"
    assert any("E3601" in m for m in _lint_definition(broken))


def test_cli_prints_the_definition() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(cfn.TEMPLATE_PATH)], check=True, capture_output=True, text=True
    ).stdout
    assert json.loads(out) == state_machine.definition(cfn.TEMPLATE_PATH)


def test_cli_takes_parameters() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(cfn.TEMPLATE_PATH), "ReconcileBatchSize=10"],
        check=True, capture_output=True, text=True,
    ).stdout
    assert json.loads(out)["States"]["ApplyBatches"]["ItemBatcher"]["MaxItemsPerBatch"] == 10


def test_steps_in_order_for_a_driver() -> None:
    """What a driver walks: Plan, then the map's one inner task, then Summary, each a
    lambda:invoke of the function with an `lcmStep` payload."""
    d = state_machine.definition()
    steps = [
        d["States"]["Plan"],
        d["States"]["ApplyBatches"]["ItemProcessor"]["States"]["ApplyBatch"],
        d["States"]["Summary"],
    ]
    assert [s["Parameters"]["Payload"]["lcmStep"] for s in steps] == [
        "reconcile-plan", "reconcile-batch", "reconcile-summary",
    ]
    assert {s["Parameters"]["FunctionName"] for s in steps} == {state_machine.PLACEHOLDERS["LcmFunction.Arn"]}


def test_unknown_variable_is_refused() -> None:
    broken = copy.deepcopy(TEMPLATE)
    sub = broken["Resources"]["ReconcileStateMachine"]["Properties"]["DefinitionString"]
    sub["Fn::Sub"] = sub["Fn::Sub"].replace("${LcmFunction.Arn}", "${OtherFunction.Arn}", 1)
    with pytest.raises(KeyError):
        state_machine.definition_of(broken)
