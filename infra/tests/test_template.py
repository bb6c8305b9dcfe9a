"""Security properties of infra/template.yaml.

Every property is a `check_*` function in cfn_template.py. `test_property_holds` runs each
against the real template; `test_check_catches_fault` breaks a copy of the template in one
specific way per case and shows the matching check then fails - so no check is vacuous.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Callable

import pytest

import cfn_template as cfn
import state_machine

TEMPLATE = cfn.load_template()


def test_template_parses_with_intrinsics() -> None:
    assert TEMPLATE["Transform"] == "AWS::Serverless-2016-10-31"
    rule = TEMPLATE["Resources"]["LifecycleEventRule"]["Properties"]
    direct, queue = rule["Targets"]["Fn::If"][1:]
    assert direct[0]["Arn"] == {"Fn::GetAtt": ["LcmFunction", "Arn"]}
    assert queue[0]["Arn"] == {"Fn::GetAtt": ["IngressQueue", "Arn"]}
    assert rule["Name"] == {"Fn::Sub": "${AWS::StackName}-worker-lifecycle"}


@pytest.mark.parametrize("check", cfn.ALL_CHECKS, ids=lambda c: c.__name__)
def test_property_holds(check: Callable[[dict[str, Any]], None]) -> None:
    check(copy.deepcopy(TEMPLATE))


def test_transformed_template_requires_sigv4_everywhere() -> None:
    cfn.check_transformed_api_requires_sigv4(cfn.sam_transform(TEMPLATE))


# ---------------------------------------------------------------------------------------
# Mutations: each breaks one property; the named check must notice.
# ---------------------------------------------------------------------------------------

def _fn(t: dict[str, Any]) -> dict[str, Any]:
    return t["Resources"]["LcmFunction"]["Properties"]


def _role_statements(t: dict[str, Any]) -> list[Any]:
    return t["Resources"]["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


def _statement(t: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in _role_statements(t) if isinstance(s, dict) and s.get("Sid") == sid)


def _target(t: dict[str, Any], path: str = "direct") -> dict[str, Any]:
    _cond, direct, queue = t["Resources"]["LifecycleEventRule"]["Properties"]["Targets"]["Fn::If"]
    return (direct if path == "direct" else queue)[0]


def route_auth_none(t):
    _fn(t)["Events"]["GetHealth"]["Properties"]["Auth"] = {"Authorizer": "NONE"}


def no_default_authorizer(t):
    del t["Resources"]["LcmHttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"]


def route_on_implicit_api(t):
    del _fn(t)["Events"]["PostPlan"]["Properties"]["ApiId"]


def function_url_added(t):
    _fn(t)["FunctionUrlConfig"] = {"AuthType": "NONE"}


def route_missing(t):
    del _fn(t)["Events"]["PostAction"]


def throttling_hardcoded(t):
    t["Resources"]["LcmHttpApi"]["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"] = 10000


def secret_wildcard(t):
    _statement(t, "ReadAtlassianCredentials")["Resource"] = {"Fn::Sub": "arn:aws:secretsmanager:*:*:secret:*"}


def secret_two_resources(t):
    s = _statement(t, "ReadAtlassianCredentials")
    s["Resource"] = [s["Resource"], {"Ref": "ExistingSecretArn"}]


def secret_extra_action(t):
    _statement(t, "ReadAtlassianCredentials")["Action"] = ["secretsmanager:GetSecretValue", "secretsmanager:ListSecrets"]


def secret_arn_pattern_loose(t):
    t["Parameters"]["ExistingSecretArn"]["AllowedPattern"] = ".*"


def secret_not_retained(t):
    del t["Resources"]["AtlassianSecret"]["DeletionPolicy"]


def dlq_detached(t):
    del _target(t)["DeadLetterConfig"]


def retry_policy_missing(t):
    del _target(t)["RetryPolicy"]


def queue_target_dlq_detached(t):
    del _target(t, "queue")["DeadLetterConfig"]


def queue_target_retry_missing(t):
    del _target(t, "queue")["RetryPolicy"]


def queue_target_is_fifo_queue(t):
    # Straight to the FIFO queue: a rule's SQS target can only set a static group id.
    _target(t, "queue")["Arn"] = {"Fn::GetAtt": ["EventQueue", "Arn"]}


def ingress_policy_unscoped(t):
    statement = t["Resources"]["IngressQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    del statement["Condition"]


def ingress_policy_any_principal(t):
    statement = t["Resources"]["IngressQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    statement["Principal"] = {"AWS": "*"}


def invoke_permission_on_queue_path(t):
    del t["Resources"]["LifecycleEventRuleInvokePermission"]["Condition"]


def _mapping(t: dict[str, Any]) -> dict[str, Any]:
    return t["Resources"]["EventQueueMapping"]["Properties"]


def _pipe(t: dict[str, Any]) -> dict[str, Any]:
    return t["Resources"]["EventsPipe"]["Properties"]


def _pipe_statements(t: dict[str, Any]) -> list[Any]:
    return t["Resources"]["PipeRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


def no_partial_batch_responses(t):
    del _mapping(t)["FunctionResponseTypes"]


def concurrency_hardcoded(t):
    _mapping(t)["ScalingConfig"]["MaximumConcurrency"] = 50


def concurrency_unbounded(t):
    del _mapping(t)["ScalingConfig"]


def batch_too_large(t):
    t["Parameters"]["QueueBatchSize"]["MaxValue"] = 100


def batching_window(t):
    _mapping(t)["MaximumBatchingWindowInSeconds"] = 5


def event_queue_standard(t):
    del t["Resources"]["EventQueue"]["Properties"]["FifoQueue"]


def event_queue_without_dlq(t):
    del t["Resources"]["EventQueue"]["Properties"]["RedrivePolicy"]


def event_queue_unencrypted(t):
    t["Resources"]["EventQueue"]["Properties"]["SqsManagedSseEnabled"] = False


def event_queue_not_retained(t):
    del t["Resources"]["EventQueue"]["DeletionPolicy"]


def queue_path_unconditional(t):
    del t["Resources"]["EventQueueMapping"]["Condition"]


def direct_by_default(t):
    t["Parameters"]["EventDelivery"]["Default"] = "direct"


def consume_any_queue(t):
    grant = next(s for s in _role_statements(t) if isinstance(s, dict) and "Fn::If" in s
                 and s["Fn::If"][1].get("Sid") == "ConsumeEventQueue")
    grant["Fn::If"][1]["Resource"] = "*"


def consume_on_direct_path_too(t):
    statements = _role_statements(t)
    index = next(i for i, s in enumerate(statements) if isinstance(s, dict) and "Fn::If" in s
                 and s["Fn::If"][1].get("Sid") == "ConsumeEventQueue")
    statements[index] = statements[index]["Fn::If"][1]


def consume_purge_too(t):
    grant = next(s for s in _role_statements(t) if isinstance(s, dict) and "Fn::If" in s
                 and s["Fn::If"][1].get("Sid") == "ConsumeEventQueue")
    grant["Fn::If"][1]["Action"].append("sqs:PurgeQueue")


def group_id_static(t):
    _pipe(t)["TargetParameters"]["SqsQueueParameters"]["MessageGroupId"] = "hr-events"


def dedup_by_content(t):
    del _pipe(t)["TargetParameters"]["SqsQueueParameters"]["MessageDeduplicationId"]


def pipe_reshapes_event(t):
    _pipe(t)["TargetParameters"]["InputTemplate"] = "<$.body.detail>"


def pipe_to_failure_queue(t):
    _pipe(t)["Target"] = {"Fn::GetAtt": ["FailureQueue", "Arn"]}


def pipe_role_sends_anywhere(t):
    _pipe_statements(t)[1]["Resource"] = "*"


def pipe_role_extra_action(t):
    _pipe_statements(t)[0]["Action"].append("sqs:SendMessage")


def pipe_role_any_account(t):
    del t["Resources"]["PipeRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]


def ingress_without_dlq(t):
    del t["Resources"]["IngressQueue"]["Properties"]["RedrivePolicy"]


def fifo_dlq_alarm_missing(t):
    del t["Resources"]["EventDeadLetterQueueFifoDepthAlarm"]


def ingress_dlq_alarm_wrong_queue(t):
    dims = t["Resources"]["IngressDeadLetterQueueDepthAlarm"]["Properties"]["Dimensions"]
    dims[0]["Value"] = {"Fn::GetAtt": ["IngressQueue", "QueueName"]}


def event_queue_age_alarm_missing(t):
    del t["Resources"]["EventQueueAgeAlarm"]


def pipe_throttle_alarm_missing(t):
    del t["Resources"]["PipeThrottledAlarm"]


def pipe_failure_alarm_wrong_metric(t):
    t["Resources"]["PipeFailedAlarm"]["Properties"]["MetricName"] = "Invocations"


def dlq_policy_unscoped(t):
    statement = t["Resources"]["EventDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    del statement["Condition"]


def pattern_too_broad(t):
    t["Resources"]["LifecycleEventRule"]["Properties"]["EventPattern"] = {"source": [{"prefix": ""}]}


def _rule(t: dict[str, Any]) -> dict[str, Any]:
    return t["Resources"]["LifecycleEventRule"]["Properties"]


def _ledger(t: dict[str, Any]) -> dict[str, Any]:
    return t["Resources"]["LedgerTable"]


def sources_hardcoded(t):
    _rule(t)["EventPattern"]["source"] = ["hr.workday"]


def sources_prefix_again(t):
    _rule(t)["EventPattern"]["source"] = [{"prefix": "hr."}]


def sources_env_missing(t):
    del _fn(t)["Environment"]["Variables"]["LCM_EVENT_SOURCES"]


def sources_pattern_loose(t):
    t["Parameters"]["EventSources"]["AllowedPattern"] = ".*"


def rule_on_default_bus(t):
    _rule(t)["EventBusName"] = "default"


def existing_bus_may_be_default(t):
    t["Parameters"]["ExistingEventBusName"]["AllowedPattern"] = "^$|^[A-Za-z0-9._\\-/]{1,256}$"


def bus_not_created(t):
    del t["Resources"]["HrEventBus"]


def ledger_provisioned(t):
    _ledger(t)["Properties"]["BillingMode"] = "PROVISIONED"
    _ledger(t)["Properties"]["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def ledger_without_pitr(t):
    del _ledger(t)["Properties"]["PointInTimeRecoverySpecification"]


def ledger_unencrypted(t):
    _ledger(t)["Properties"]["SSESpecification"]["SSEEnabled"] = False


def ledger_ttl_on_facts(t):
    _ledger(t)["Properties"]["TimeToLiveSpecification"]["AttributeName"] = "occurredAtMs"


def ledger_not_retained(t):
    del _ledger(t)["DeletionPolicy"]


def ledger_env_missing(t):
    del _fn(t)["Environment"]["Variables"]["LCM_LEDGER_TABLE"]


def ledger_scan_allowed(t):
    _statement(t, "UseOrderingLedger")["Action"].append("dynamodb:Scan")


def ledger_every_table(t):
    _statement(t, "UseOrderingLedger")["Resource"] = {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:*:*:table/*"}


def ledger_indexes_too(t):
    s = _statement(t, "UseOrderingLedger")
    s["Resource"] = [s["Resource"], {"Fn::Sub": "${LedgerTable.Arn}/index/*"}]


def ledger_second_grant(t):
    _role_statements(t).append({"Effect": "Allow", "Action": "dynamodb:Query", "Resource": {"Fn::GetAtt": ["LedgerTable", "Arn"]}})


def ledger_grant_in_queue_policy(t):
    t["Resources"]["FailureQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "dynamodb:GetItem", "Resource": "*"}
    )


def queue_unencrypted(t):
    t["Resources"]["FailureQueue"]["Properties"]["SqsManagedSseEnabled"] = False


def on_failure_missing(t):
    del _fn(t)["EventInvokeConfig"]["DestinationConfig"]


def failure_queue_url_elsewhere(t):
    _fn(t)["Environment"]["Variables"]["LCM_FAILURE_QUEUE_URL"] = {"Ref": "EventDeadLetterQueue"}


def send_to_any_queue(t):
    _statement(t, "SendFailedAsyncInvocationsToFailureQueue")["Resource"] = "*"


def admin_statement(t):
    _role_statements(t).append({"Effect": "Allow", "Action": "*", "Resource": "*"})


def service_wildcard_in_condition_branch(t):
    _role_statements(t).append(
        {"Fn::If": ["TracingEnabled", {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}, {"Ref": "AWS::NoValue"}]}
    )


def wildcard_in_queue_policy(t):
    t["Resources"]["FailureQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sqs:*", "Resource": "*"}
    )


def switch_hardcoded(t):
    _fn(t)["Environment"]["Variables"]["LCM_ALLOW_DELETE"] = "true"


def switch_missing(t):
    del _fn(t)["Environment"]["Variables"]["LCM_DRY_RUN_ONLY"]


def delete_on_by_default(t):
    t["Parameters"]["AllowDelete"]["Default"] = "true"


def throttle_alarm_missing(t):
    del t["Resources"]["FunctionThrottlesAlarm"]


def dlq_alarm_wrong_queue(t):
    dims = t["Resources"]["EventDeadLetterQueueDepthAlarm"]["Properties"]["Dimensions"]
    dims[0]["Value"] = {"Fn::GetAtt": ["FailureQueue", "QueueName"]}


def errors_alarm_missing(t):
    del t["Resources"]["FunctionErrorsAlarm"]


def tracing_always_on(t):
    _fn(t)["Tracing"] = "Active"


def log_retention_fixed(t):
    t["Resources"]["FunctionLogGroup"]["Properties"]["RetentionInDays"] = 3653


def wrong_architecture(t):
    _fn(t)["Architectures"] = ["x86_64"]


# --- The distributed reconcile ---------------------------------------------------------

def _res(t: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return t["Resources"][logical_id]


def _bucket(t: dict[str, Any]) -> dict[str, Any]:
    return _res(t, "ReconcileBucket")["Properties"]


def _machine_role_statements(t: dict[str, Any]) -> list[Any]:
    return _res(t, "ReconcileStateMachineRole")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


def _machine_statement(t: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in _machine_role_statements(t) if isinstance(s, dict) and s.get("Sid") == sid)


def _scheduler_statements(t: dict[str, Any]) -> list[Any]:
    return _res(t, "ReconcileSchedulerRole")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


def _reconcile_grant(t: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s["Fn::If"][1] for s in _role_statements(t) if isinstance(s, dict) and "Fn::If" in s
                and s["Fn::If"][1].get("Sid") == sid)


def _edit_definition(t: dict[str, Any], old: str, new: str) -> None:
    sub = _res(t, "ReconcileStateMachine")["Properties"]["DefinitionString"]
    assert sub["Fn::Sub"].count(old) == 1, f"mutation target {old!r} not found exactly once"
    sub["Fn::Sub"] = sub["Fn::Sub"].replace(old, new)


def _edit_definition_json(t: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> None:
    """Edit the definition as JSON; its unquoted `${Number}` placeholders survive."""
    sub = _res(t, "ReconcileStateMachine")["Properties"]["DefinitionString"]
    text = re.sub(r"(:\s*)\$\{(\w+)\}", r'\1"@number:\2@"', sub["Fn::Sub"])
    definition = json.loads(text)
    edit(definition)
    sub["Fn::Sub"] = re.sub(r'"@number:(\w+)@"', r"${\1}", json.dumps(definition, indent=2))


def definition_round_trip(t):
    _edit_definition_json(t, lambda d: None)


def reconcile_part_unconditional(t):
    del _res(t, "ReconcileSchedule")["Condition"]


def reconcile_off_by_default(t):
    t["Parameters"]["EnableReconcile"]["Default"] = "false"


def batch_size_unbounded(t):
    del t["Parameters"]["ReconcileBatchSize"]["MaxValue"]


def schedule_on_by_default(t):
    t["Parameters"]["ReconcileScheduleState"]["Default"] = "ENABLED"


def roster_key_injectable(t):
    t["Parameters"]["ReconcileRosterKey"]["AllowedPattern"] = "^rosters/.+$"


def bucket_unencrypted(t):
    del _bucket(t)["BucketEncryption"]


def bucket_public_policy_allowed(t):
    _bucket(t)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] = False


def bucket_acls_allowed(t):
    del _bucket(t)["PublicAccessBlockConfiguration"]["IgnorePublicAcls"]


def bucket_unversioned(t):
    _bucket(t)["VersioningConfiguration"]["Status"] = "Suspended"


def bucket_object_writer(t):
    _bucket(t)["OwnershipControls"]["Rules"][0]["ObjectOwnership"] = "ObjectWriter"


def bucket_rosters_expire(t):
    _bucket(t)["LifecycleConfiguration"]["Rules"][1]["Prefix"] = ""


def bucket_not_retained(t):
    del _res(t, "ReconcileBucket")["DeletionPolicy"]


def bucket_tls_optional(t):
    del _res(t, "ReconcileBucketPolicy")["Properties"]["PolicyDocument"]["Statement"][0]["Condition"]


def bucket_tls_deny_bucket_only(t):
    statement = _res(t, "ReconcileBucketPolicy")["Properties"]["PolicyDocument"]["Statement"][0]
    statement["Resource"] = statement["Resource"][:1]


def bucket_policy_grants_public_read(t):
    _res(t, "ReconcileBucketPolicy")["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${ReconcileBucket.Arn}/*"}}
    )


def function_reads_whole_bucket(t):
    _reconcile_grant(t, "ReadRosters")["Resource"] = {"Fn::Sub": "${ReconcileBucket.Arn}/*"}


def function_writes_rosters(t):
    _reconcile_grant(t, "WriteReports")["Resource"] = ROSTERS_RES


def function_lists_bucket(t):
    _reconcile_grant(t, "ReadRosters")["Action"] = ["s3:GetObject", "s3:ListBucket"]


def function_deletes_reports(t):
    _role_statements(t).append({"Fn::If": ["ReconcileEnabled", {
        "Sid": "Tidy", "Effect": "Allow", "Action": "s3:DeleteObject", "Resource": cfn.REPORTS_ARN,
    }, {"Ref": "AWS::NoValue"}]})


def function_any_bucket(t):
    _reconcile_grant(t, "WriteReports")["Resource"] = "arn:aws:s3:::*/reports/*"


def function_s3_without_reconcile(t):
    statements = _role_statements(t)
    index = next(i for i, s in enumerate(statements) if isinstance(s, dict) and "Fn::If" in s
                 and s["Fn::If"][1].get("Sid") == "ReadRosters")
    statements[index] = statements[index]["Fn::If"][1]


def bucket_env_missing(t):
    del _fn(t)["Environment"]["Variables"]["LCM_RECONCILE_BUCKET"]


def report_prefix_wrong(t):
    _fn(t)["Environment"]["Variables"]["LCM_REPORT_PREFIX"]["Fn::If"][1] = "rosters/"


ROSTERS_RES = {"Fn::Sub": "${ReconcileBucket.Arn}/rosters/*"}


def machine_invokes_any_function(t):
    _machine_statement(t, "InvokeFunction")["Resource"] = {"Fn::Sub": "arn:${AWS::Partition}:lambda:*:*:function:*"}


def machine_reads_rosters(t):
    _machine_statement(t, "ReadPlans")["Resource"] = ROSTERS_RES


def machine_writes_reports(t):
    _machine_statement(t, "ReadPlans")["Action"] = ["s3:GetObject", "s3:PutObject"]


def machine_wildcard_action(t):
    _machine_statement(t, "RunOwnMap")["Action"] = "states:*"


def machine_starts_any_machine(t):
    _machine_statement(t, "RunOwnMap")["Resource"] = {
        "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:*"
    }


def machine_logs_wildcard(t):
    _machine_statement(t, "DeliverLogs")["Action"].append("logs:*")


def machine_role_any_account(t):
    del _res(t, "ReconcileStateMachineRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]


def machine_role_admin(t):
    _res(t, "ReconcileStateMachineRole")["Properties"]["ManagedPolicyArns"] = ["arn:aws:iam::aws:policy/AdministratorAccess"]


def machine_xray_always(t):
    statements = _machine_role_statements(t)
    statements[-1] = statements[-1]["Fn::If"][1]


def machine_express(t):
    _res(t, "ReconcileStateMachine")["Properties"]["StateMachineType"] = "EXPRESS"


def machine_logs_people(t):
    _res(t, "ReconcileStateMachine")["Properties"]["LoggingConfiguration"]["IncludeExecutionData"] = True


def machine_logs_to_function_group(t):
    destination = _res(t, "ReconcileStateMachine")["Properties"]["LoggingConfiguration"]["Destinations"][0]
    destination["CloudWatchLogsLogGroup"]["LogGroupArn"] = {"Fn::GetAtt": ["FunctionLogGroup", "Arn"]}


def machine_log_retention_fixed(t):
    _res(t, "ReconcileStateMachineLogGroup")["Properties"]["RetentionInDays"] = 7


def machine_tracing_always(t):
    _res(t, "ReconcileStateMachine")["Properties"]["TracingConfiguration"]["Enabled"] = True


def schedule_starts_other_machine(t):
    _res(t, "ReconcileSchedule")["Properties"]["Target"]["Arn"] = "arn:aws:states:us-east-1:123456789012:stateMachine:x"


def schedule_without_dlq(t):
    del _res(t, "ReconcileSchedule")["Properties"]["Target"]["DeadLetterConfig"]


def schedule_without_retry(t):
    del _res(t, "ReconcileSchedule")["Properties"]["Target"]["RetryPolicy"]


def schedule_roster_hardcoded(t):
    _res(t, "ReconcileSchedule")["Properties"]["Target"]["Input"] = '{"rosterKey":"rosters/roster.jsonl"}'


def scheduler_starts_any_machine(t):
    _scheduler_statements(t)[0]["Resource"] = "*"


def scheduler_extra_action(t):
    _scheduler_statements(t)[0]["Action"] = ["states:StartExecution", "states:StopExecution"]


def scheduler_role_any_account(t):
    del _res(t, "ReconcileSchedulerRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]


def schedule_dlq_unencrypted(t):
    _res(t, "ReconcileScheduleDeadLetterQueue")["Properties"]["SqsManagedSseEnabled"] = False


def schedule_dlq_alarm_missing(t):
    del t["Resources"]["ReconcileScheduleDeadLetterDepthAlarm"]


def failed_executions_alarm_missing(t):
    del t["Resources"]["ReconcileExecutionsFailedAlarm"]


def failed_executions_alarm_wrong_machine(t):
    dims = t["Resources"]["ReconcileExecutionsFailedAlarm"]["Properties"]["Dimensions"]
    dims[0]["Value"] = "arn:aws:states:us-east-1:123456789012:stateMachine:other"


def timed_out_alarm_missing(t):
    del t["Resources"]["ReconcileExecutionsTimedOutAlarm"]


def map_inline(t):
    _edit_definition(t, '"Mode": "DISTRIBUTED"', '"Mode": "INLINE"')


def map_reads_csv(t):
    _edit_definition(t, '"InputType": "JSONL"', '"InputType": "CSV"')


def map_reads_roster(t):
    _edit_definition(t, '"Key.$": "$.planKey"', '"Key.$": "$.rosterKey"')


def batch_size_quoted(t):
    _edit_definition(t, '"MaxItemsPerBatch": ${ReconcileBatchSize}', '"MaxItemsPerBatch": "${ReconcileBatchSize}"')


def concurrency_literal(t):
    _edit_definition(t, '"MaxConcurrency": ${ReconcileMaxConcurrency}', '"MaxConcurrency": 4')


def tolerance_literal(t):
    _edit_definition(t, '"ToleratedFailurePercentage": ${ReconcileToleratedFailurePercentage}',
                     '"ToleratedFailurePercentage": 0')


def batch_input_without_as_of(t):
    _edit_definition(t, ', "asOf.$": "$.asOf"', "")


def batch_payload_renamed(t):
    _edit_definition(t, '"lcmStep": "reconcile-batch"', '"lcmStep": "batch"')


def plan_payload_run_id_from_input(t):
    _edit_definition(t, '"runId.$": "$$.Execution.Name"', '"runId.$": "$.runId"')


def summary_payload_without_batches(t):
    _edit_definition_json(t, lambda d: d["States"]["Summary"]["Parameters"]["Payload"].pop("batches.$"))


def batch_incomplete_not_retried(t):
    _edit_definition(t, '"Lcm.ReconcileBatchIncomplete", ', "")


def batch_retry_too_fast(t):
    _edit_definition(t, '"IntervalSeconds": 30', '"IntervalSeconds": 1')


def plan_transient_not_retried(t):
    def edit(d: dict[str, Any]) -> None:
        d["States"]["Plan"]["Retry"][0]["ErrorEquals"].remove("Lcm.TransientFailure")
    _edit_definition_json(t, edit)


def refusal_ignored(t):
    _edit_definition(t, '"BooleanEquals": false, "Next": "PlanRefused"', '"BooleanEquals": false, "Next": "Summary"')


def map_failure_swallowed(t):
    _edit_definition(t, '"ResultPath": "$.error", "Next": "MapFailed"', '"ResultPath": "$.error", "Next": "Summary"')


def incomplete_run_succeeds(t):
    _edit_definition(t, '"NumericGreaterThan": 0, "Next": "ReconcileIncomplete"', '"NumericGreaterThan": 0, "Next": "Done"')


def results_overwrite_plan(t):
    _edit_definition(t, '"ResultPath": "$.batches"', '"ResultPath": "$"')


def function_arn_hardcoded(t):
    _edit_definition_json(t, lambda d: d["States"]["Summary"]["Parameters"].update(FunctionName="atlassian-lcm"))


def states_reordered(t):
    _edit_definition(t, '"Done": { "Type": "Succeed" }', '"Done2": { "Type": "Succeed" }')
    _edit_definition(t, '"Default": "Done"', '"Default": "Done2"')


def definition_as_substitutions(t):
    props = _res(t, "ReconcileStateMachine")["Properties"]
    props["DefinitionSubstitutions"] = {"ReconcileBatchSize": {"Ref": "ReconcileBatchSize"}}


MUTATIONS = [
    (route_auth_none, cfn.check_api_requires_iam),
    (no_default_authorizer, cfn.check_api_requires_iam),
    (route_on_implicit_api, cfn.check_api_requires_iam),
    (function_url_added, cfn.check_api_requires_iam),
    (route_missing, cfn.check_api_requires_iam),
    (throttling_hardcoded, cfn.check_api_throttled),
    (secret_wildcard, cfn.check_secret_scoped),
    (secret_wildcard, cfn.check_no_wildcard_allow),
    (secret_two_resources, cfn.check_secret_scoped),
    (secret_extra_action, cfn.check_secret_scoped),
    (secret_arn_pattern_loose, cfn.check_secret_scoped),
    (secret_not_retained, cfn.check_retained),
    (dlq_detached, cfn.check_event_rule),
    (retry_policy_missing, cfn.check_event_rule),
    (dlq_policy_unscoped, cfn.check_event_rule),
    (queue_target_dlq_detached, cfn.check_event_rule),
    (queue_target_retry_missing, cfn.check_event_rule),
    (queue_target_is_fifo_queue, cfn.check_event_rule),
    (ingress_policy_unscoped, cfn.check_event_rule),
    (ingress_policy_any_principal, cfn.check_event_rule),
    (invoke_permission_on_queue_path, cfn.check_event_rule),
    (no_partial_batch_responses, cfn.check_event_queue),
    (concurrency_hardcoded, cfn.check_event_queue),
    (concurrency_unbounded, cfn.check_event_queue),
    (batch_too_large, cfn.check_event_queue),
    (batching_window, cfn.check_event_queue),
    (event_queue_standard, cfn.check_event_queue),
    (event_queue_without_dlq, cfn.check_event_queue),
    (event_queue_unencrypted, cfn.check_queues_encrypted),
    (event_queue_not_retained, cfn.check_retained),
    (queue_path_unconditional, cfn.check_event_queue),
    (direct_by_default, cfn.check_event_queue),
    (consume_any_queue, cfn.check_event_queue),
    (consume_any_queue, cfn.check_no_wildcard_allow),
    (consume_on_direct_path_too, cfn.check_event_queue),
    (consume_purge_too, cfn.check_event_queue),
    (group_id_static, cfn.check_pipe),
    (dedup_by_content, cfn.check_pipe),
    (pipe_reshapes_event, cfn.check_pipe),
    (pipe_to_failure_queue, cfn.check_pipe),
    (pipe_role_sends_anywhere, cfn.check_pipe),
    (pipe_role_sends_anywhere, cfn.check_no_wildcard_allow),
    (pipe_role_extra_action, cfn.check_pipe),
    (pipe_role_any_account, cfn.check_pipe),
    (ingress_without_dlq, cfn.check_pipe),
    (fifo_dlq_alarm_missing, cfn.check_alarms),
    (ingress_dlq_alarm_wrong_queue, cfn.check_alarms),
    (event_queue_age_alarm_missing, cfn.check_alarms),
    (pipe_throttle_alarm_missing, cfn.check_alarms),
    (pipe_failure_alarm_wrong_metric, cfn.check_alarms),
    (pattern_too_broad, cfn.check_event_sources_trusted),
    (sources_hardcoded, cfn.check_event_sources_trusted),
    (sources_prefix_again, cfn.check_event_sources_trusted),
    (sources_env_missing, cfn.check_event_sources_trusted),
    (sources_env_missing, cfn.check_switches_wired),
    (sources_pattern_loose, cfn.check_event_sources_trusted),
    (rule_on_default_bus, cfn.check_event_sources_trusted),
    (existing_bus_may_be_default, cfn.check_event_sources_trusted),
    (bus_not_created, cfn.check_event_sources_trusted),
    (ledger_provisioned, cfn.check_ledger_table),
    (ledger_without_pitr, cfn.check_ledger_table),
    (ledger_unencrypted, cfn.check_ledger_table),
    (ledger_ttl_on_facts, cfn.check_ledger_table),
    (ledger_not_retained, cfn.check_ledger_table),
    (ledger_not_retained, cfn.check_retained),
    (ledger_env_missing, cfn.check_ledger_table),
    (ledger_scan_allowed, cfn.check_ledger_least_privilege),
    (ledger_every_table, cfn.check_ledger_least_privilege),
    (ledger_every_table, cfn.check_no_wildcard_allow),
    (ledger_indexes_too, cfn.check_ledger_least_privilege),
    (ledger_second_grant, cfn.check_ledger_least_privilege),
    (ledger_grant_in_queue_policy, cfn.check_ledger_least_privilege),
    (queue_unencrypted, cfn.check_queues_encrypted),
    (on_failure_missing, cfn.check_on_failure_destination),
    (failure_queue_url_elsewhere, cfn.check_on_failure_destination),
    (send_to_any_queue, cfn.check_on_failure_destination),
    (admin_statement, cfn.check_no_wildcard_allow),
    (service_wildcard_in_condition_branch, cfn.check_no_wildcard_allow),
    (wildcard_in_queue_policy, cfn.check_no_wildcard_allow),
    (switch_hardcoded, cfn.check_switches_wired),
    (switch_missing, cfn.check_switches_wired),
    (delete_on_by_default, cfn.check_switches_wired),
    (throttle_alarm_missing, cfn.check_alarms),
    (dlq_alarm_wrong_queue, cfn.check_alarms),
    (errors_alarm_missing, cfn.check_alarms),
    (tracing_always_on, cfn.check_operations),
    (log_retention_fixed, cfn.check_operations),
    (wrong_architecture, cfn.check_function_build),
    (reconcile_part_unconditional, cfn.check_reconcile_switch),
    (reconcile_off_by_default, cfn.check_reconcile_switch),
    (batch_size_unbounded, cfn.check_reconcile_switch),
    (schedule_on_by_default, cfn.check_reconcile_switch),
    (schedule_on_by_default, cfn.check_reconcile_schedule),
    (roster_key_injectable, cfn.check_reconcile_switch),
    (bucket_unencrypted, cfn.check_reconcile_bucket),
    (bucket_public_policy_allowed, cfn.check_reconcile_bucket),
    (bucket_acls_allowed, cfn.check_reconcile_bucket),
    (bucket_unversioned, cfn.check_reconcile_bucket),
    (bucket_object_writer, cfn.check_reconcile_bucket),
    (bucket_rosters_expire, cfn.check_reconcile_bucket),
    (bucket_not_retained, cfn.check_reconcile_bucket),
    (bucket_not_retained, cfn.check_retained),
    (bucket_tls_optional, cfn.check_reconcile_bucket),
    (bucket_tls_deny_bucket_only, cfn.check_reconcile_bucket),
    (bucket_policy_grants_public_read, cfn.check_reconcile_bucket),
    (bucket_policy_grants_public_read, cfn.check_reconcile_function_s3),
    (function_reads_whole_bucket, cfn.check_reconcile_function_s3),
    (function_reads_whole_bucket, cfn.check_no_wildcard_allow),
    (function_writes_rosters, cfn.check_reconcile_function_s3),
    (function_lists_bucket, cfn.check_reconcile_function_s3),
    (function_deletes_reports, cfn.check_reconcile_function_s3),
    (function_any_bucket, cfn.check_reconcile_function_s3),
    (function_any_bucket, cfn.check_no_wildcard_allow),
    (function_s3_without_reconcile, cfn.check_reconcile_function_s3),
    (bucket_env_missing, cfn.check_reconcile_function_s3),
    (report_prefix_wrong, cfn.check_reconcile_function_s3),
    (machine_invokes_any_function, cfn.check_reconcile_state_machine_role),
    (machine_invokes_any_function, cfn.check_no_wildcard_allow),
    (machine_reads_rosters, cfn.check_reconcile_state_machine_role),
    (machine_reads_rosters, cfn.check_reconcile_function_s3),
    (machine_writes_reports, cfn.check_reconcile_state_machine_role),
    (machine_wildcard_action, cfn.check_reconcile_state_machine_role),
    (machine_starts_any_machine, cfn.check_reconcile_state_machine_role),
    (machine_starts_any_machine, cfn.check_no_wildcard_allow),
    (machine_logs_wildcard, cfn.check_reconcile_state_machine_role),
    (machine_logs_wildcard, cfn.check_no_wildcard_allow),
    (machine_role_any_account, cfn.check_reconcile_state_machine_role),
    (machine_role_admin, cfn.check_reconcile_state_machine_role),
    (machine_xray_always, cfn.check_reconcile_state_machine_role),
    (machine_express, cfn.check_reconcile_state_machine_role),
    (machine_logs_people, cfn.check_reconcile_state_machine_operations),
    (machine_logs_to_function_group, cfn.check_reconcile_state_machine_operations),
    (machine_log_retention_fixed, cfn.check_reconcile_state_machine_operations),
    (machine_tracing_always, cfn.check_reconcile_state_machine_operations),
    (schedule_starts_other_machine, cfn.check_reconcile_schedule),
    (schedule_without_dlq, cfn.check_reconcile_schedule),
    (schedule_without_retry, cfn.check_reconcile_schedule),
    (schedule_roster_hardcoded, cfn.check_reconcile_schedule),
    (scheduler_starts_any_machine, cfn.check_reconcile_schedule),
    (scheduler_starts_any_machine, cfn.check_no_wildcard_allow),
    (scheduler_extra_action, cfn.check_reconcile_schedule),
    (scheduler_role_any_account, cfn.check_reconcile_schedule),
    (schedule_dlq_unencrypted, cfn.check_queues_encrypted),
    (schedule_dlq_alarm_missing, cfn.check_alarms),
    (failed_executions_alarm_missing, cfn.check_alarms),
    (failed_executions_alarm_wrong_machine, cfn.check_alarms),
    (timed_out_alarm_missing, cfn.check_alarms),
    (map_inline, cfn.check_reconcile_definition),
    (map_reads_csv, cfn.check_reconcile_definition),
    (map_reads_roster, cfn.check_reconcile_definition),
    (batch_size_quoted, cfn.check_reconcile_definition),
    (concurrency_literal, cfn.check_reconcile_definition),
    (tolerance_literal, cfn.check_reconcile_definition),
    (batch_input_without_as_of, cfn.check_reconcile_definition),
    (batch_payload_renamed, cfn.check_reconcile_definition),
    (plan_payload_run_id_from_input, cfn.check_reconcile_definition),
    (summary_payload_without_batches, cfn.check_reconcile_definition),
    (batch_incomplete_not_retried, cfn.check_reconcile_definition),
    (batch_retry_too_fast, cfn.check_reconcile_definition),
    (plan_transient_not_retried, cfn.check_reconcile_definition),
    (refusal_ignored, cfn.check_reconcile_definition),
    (map_failure_swallowed, cfn.check_reconcile_definition),
    (incomplete_run_succeeds, cfn.check_reconcile_definition),
    (results_overwrite_plan, cfn.check_reconcile_definition),
    (function_arn_hardcoded, cfn.check_reconcile_definition),
    (states_reordered, cfn.check_reconcile_definition),
    (definition_as_substitutions, cfn.check_reconcile_definition),
]


@pytest.mark.parametrize(
    ("mutate", "check"), MUTATIONS, ids=[f"{m.__name__}-{c.__name__}" for m, c in MUTATIONS]
)
def test_check_catches_fault(mutate: Callable[[dict[str, Any]], None], check: Callable[[dict[str, Any]], None]) -> None:
    broken = copy.deepcopy(TEMPLATE)
    mutate(broken)
    with pytest.raises(AssertionError):
        check(broken)


def test_every_check_has_a_failing_case() -> None:
    covered = {check for _mutate, check in MUTATIONS}
    missing = [c.__name__ for c in cfn.ALL_CHECKS if c not in covered]
    assert not missing, f"checks never shown to fail: {missing}"


def test_transformed_check_catches_route_without_iam() -> None:
    broken = copy.deepcopy(TEMPLATE)
    route_auth_none(broken)
    with pytest.raises(AssertionError):
        cfn.check_transformed_api_requires_sigv4(cfn.sam_transform(broken))


def test_definition_edits_round_trip() -> None:
    """The JSON editor the definition mutations use changes nothing by itself."""
    edited = copy.deepcopy(TEMPLATE)
    definition_round_trip(edited)
    assert state_machine.definition_of(edited) == state_machine.definition_of(TEMPLATE)
    cfn.check_reconcile_definition(edited)
