"""Load the SAM template and check its security properties.

The YAML short forms of CloudFormation's intrinsic functions (`!Ref`, `!GetAtt`, `!Sub`,
`!If`, ...) are not standard YAML tags, so a plain `yaml.safe_load` refuses them. The
`CfnLoader` below turns each into the long (JSON) form CloudFormation itself uses:
`!Ref X` -> `{"Ref": "X"}`, `!GetAtt A.B` -> `{"Fn::GetAtt": ["A", "B"]}`, and so on.

Each `check_*` function asserts one security property of a parsed template and raises
`AssertionError` naming what is wrong. The tests run every check against the real
template, and run each again against a mutated copy to show that it catches the fault.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any, Iterator

import yaml

INFRA_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = INFRA_DIR / "template.yaml"

# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------

_INTRINSICS = [
    "Base64", "Cidr", "Condition", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join",
    "Length", "Select", "Split", "Sub", "Transform", "ToJsonString",
    "And", "Equals", "If", "Not", "Or", "Ref",
]


class CfnLoader(yaml.SafeLoader):
    """A safe YAML loader that understands CloudFormation's short-form intrinsics."""


def _construct(tag: str):
    key = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {key: value}

    return construct


for _tag in _INTRINSICS:
    CfnLoader.add_constructor(f"!{_tag}", _construct(_tag))


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader


def sam_transform(template: dict[str, Any]) -> dict[str, Any]:
    """Expand the SAM template into plain CloudFormation, offline, as the
    `AWS::Serverless-2016-10-31` transform does at deploy time."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from samtranslator.translator.transform import transform  # pinned by scripts/infra-check

    class _NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

        def get(self, name: str, partition: str) -> str:  # pragma: no cover - unused here
            raise AssertionError(f"template must not use SAM managed policy templates ({name})")

    packaged = copy.deepcopy(template)
    # `sam package` replaces local CodeUris by S3 locations; the translator demands one.
    for resource in packaged["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://example-bucket/atlassian-lcm.zip"
    return transform(packaged, {}, _NoManagedPolicies())


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

def resources_of(template: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v.get("Type") == rtype}


def one_resource(template: dict[str, Any], rtype: str) -> tuple[str, dict[str, Any]]:
    found = resources_of(template, rtype)
    assert len(found) == 1, f"expected exactly one {rtype}, found {sorted(found)}"
    return next(iter(found.items()))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def branches(value: Any) -> Iterator[Any]:
    """Every value an expression may take: both arms of each `Fn::If`, recursively;
    `AWS::NoValue` arms are dropped."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        _cond, yes, no = value["Fn::If"]
        yield from branches(yes)
        yield from branches(no)
    elif value == {"Ref": "AWS::NoValue"}:
        return
    else:
        yield value


def ref_target(value: Any) -> str | None:
    """The logical id of `{"Ref": X}` or `{"Fn::GetAtt": [X, attr]}`, else None."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return value["Ref"]
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        return as_list(value["Fn::GetAtt"])[0]
    return None


def policy_documents(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every IAM-style policy document anywhere in the template (role policies, trust
    policies, queue policies, managed policies, SAM inline policies, ...)."""

    def walk(where: str, node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(node, dict):
            if "Statement" in node:
                yield where, node
            for key, value in node.items():
                yield from walk(f"{where}.{key}", value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(f"{where}[{index}]", value)

    for logical_id, resource in template["Resources"].items():
        yield from walk(logical_id, resource)


def statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for where, document in policy_documents(template):
        for statement in as_list(document["Statement"]):
            for concrete in branches(statement):
                yield where, concrete


def statement_values(statement: dict[str, Any], key: str) -> list[Any]:
    values: list[Any] = []
    for item in as_list(statement.get(key, [])):
        values.extend(branches(item))
    return values


def contains_wildcard(value: Any) -> bool:
    if isinstance(value, str):
        return "*" in value
    if isinstance(value, dict):
        return any(contains_wildcard(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_wildcard(v) for v in value)
    return False


def function(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return one_resource(template, "AWS::Serverless::Function")


def function_role_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    _fid, fn = function(template)
    role_id = ref_target(fn["Properties"].get("Role"))
    assert role_id, "the function must use the stack's own least-privilege role (Role: !GetAtt ...)"
    assert not fn["Properties"].get("Policies"), "no SAM Policies on the function: its role says it all"
    role = template["Resources"][role_id]
    assert role["Type"] == "AWS::IAM::Role"
    assert not role["Properties"].get("ManagedPolicyArns"), "the function role attaches no managed policy"
    found: list[dict[str, Any]] = []
    for policy in role["Properties"].get("Policies", []):
        for statement in as_list(policy["PolicyDocument"]["Statement"]):
            found.extend(branches(statement))
    return found


SECRET_ARN_EXPRESSION = {"Fn::If": ["CreateSecret", {"Ref": "AtlassianSecret"}, {"Ref": "ExistingSecretArn"}]}

EXPECTED_ROUTES = {
    ("POST", "/v1/events"),
    ("POST", "/v1/actions/{action}"),
    ("POST", "/v1/plan"),
    ("GET", "/v1/health"),
    ("POST", "/v1/reconcile"),
}

# Environment variable -> the parameter it must come from.
SWITCHES = {
    "LCM_ALLOW_DELETE": "AllowDelete",
    "LCM_DELETE_ACCOUNTS": "DeleteAccounts",
    "LCM_MAX_REMOVALS": "MaxRemovals",
    "LCM_PROTECTED_GROUPS": "ProtectedGroups",
    "LCM_DRY_RUN_ONLY": "DryRunOnly",
    "LCM_MAX_DEPROVISIONS": "MaxDeprovisions",
    "LCM_MANAGED_GROUPS": "ManagedGroups",
    "LCM_ORPHANS": "Orphans",
    "LCM_ALLOW_CUSTOM_ENDPOINTS": "AllowCustomEndpoints",
    "LCM_ADMIN_BASE_URL": "AdminBaseUrl",
    "LCM_API_BASE_URL": "ApiBaseUrl",
    "LCM_PRODUCT_SITES": "ProductSites",
    "LCM_BITBUCKET_WORKSPACE": "BitbucketWorkspace",
    "LCM_VERIFY_PRODUCTS": "VerifyProducts",
    "LCM_SECRET_TTL_SECONDS": "SecretCacheTtlSeconds",
    "LCM_EVENT_SOURCES": "EventSources",
    "RUST_LOG": "LogLevel",
}

# ---------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------

def check_function_build(template: dict[str, Any]) -> None:
    _fid, fn = function(template)
    props, meta = fn["Properties"], fn.get("Metadata", {})
    assert meta.get("BuildMethod") == "rust-cargolambda", "built by cargo-lambda"
    assert meta.get("BuildProperties", {}).get("Binary") == "atlassian-lcm-lambda", "binary atlassian-lcm-lambda"
    assert props.get("Runtime") == "provided.al2023", "runtime provided.al2023"
    assert props.get("Architectures") == ["arm64"], "cargo lambda build --arm64 output needs arm64"
    assert props.get("Handler") == "bootstrap", "handler bootstrap"
    code_dir = (INFRA_DIR / props["CodeUri"]).resolve()
    assert (code_dir / "Cargo.toml").is_file(), f"CodeUri {props['CodeUri']!r} must hold the workspace Cargo.toml"


def check_api_requires_iam(template: dict[str, Any]) -> None:
    apis = resources_of(template, "AWS::Serverless::HttpApi")
    assert apis, "an HTTP API is expected"
    for api_id, api in apis.items():
        auth = api["Properties"].get("Auth", {})
        assert auth.get("EnableIamAuthorizer") is True, f"{api_id}: EnableIamAuthorizer must be true"
        assert auth.get("DefaultAuthorizer") == "AWS_IAM", f"{api_id}: DefaultAuthorizer must be AWS_IAM"
    # No route may escape the protected APIs: no implicit API, REST API or function URL.
    for rtype in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi", "AWS::Lambda::Url"):
        assert not resources_of(template, rtype), f"unexpected {rtype}: every route goes through the IAM HTTP API"
    for route_id, route in resources_of(template, "AWS::ApiGatewayV2::Route").items():
        assert route["Properties"].get("AuthorizationType") == "AWS_IAM", f"{route_id} is not IAM-authorised"
    routes = set()
    for fid, fn in resources_of(template, "AWS::Serverless::Function").items():
        assert "FunctionUrlConfig" not in fn["Properties"], f"{fid}: no function URL (it would bypass the API)"
        for event_id, event in fn["Properties"].get("Events", {}).items():
            etype, eprops = event["Type"], event.get("Properties", {})
            assert etype != "Api", f"{fid}.{event_id}: REST API events are not protected by the HTTP API's IAM auth"
            if etype != "HttpApi":
                continue
            api_id = ref_target(eprops.get("ApiId"))
            assert api_id in apis, f"{fid}.{event_id}: must name the protected HttpApi (ApiId), not an implicit one"
            authorizer = eprops.get("Auth", {}).get("Authorizer", "AWS_IAM")
            assert authorizer == "AWS_IAM", f"{fid}.{event_id}: route overrides authorization to {authorizer!r}"
            routes.add((eprops["Method"].upper(), eprops["Path"]))
    assert routes == EXPECTED_ROUTES, f"routes {sorted(routes)} != {sorted(EXPECTED_ROUTES)}"


def check_transformed_api_requires_sigv4(transformed: dict[str, Any]) -> None:
    """On the CloudFormation SAM generates: every operation of every HTTP API demands
    SigV4, and every API Gateway permission on the function is scoped to a route."""
    apis = resources_of(transformed, "AWS::ApiGatewayV2::Api")
    assert apis
    operations = 0
    for api_id, api in apis.items():
        body = api["Properties"]["Body"]
        schemes = body.get("components", {}).get("securitySchemes", {})
        assert schemes.get("AWS_IAM", {}).get("x-amazon-apigateway-authtype") == "awsSigv4"
        for path, methods in body["paths"].items():
            for method, operation in methods.items():
                operations += 1
                assert operation.get("security") == [{"AWS_IAM": []}], f"{api_id} {method.upper()} {path} is not IAM-only"
    assert operations == len(EXPECTED_ROUTES)
    for route_id, route in resources_of(transformed, "AWS::ApiGatewayV2::Route").items():
        assert route["Properties"].get("AuthorizationType") == "AWS_IAM", f"{route_id} is not IAM-authorised"
    for perm_id, perm in resources_of(transformed, "AWS::Lambda::Permission").items():
        assert perm["Properties"].get("SourceArn"), f"{perm_id}: invoke permission must be scoped by SourceArn"
    # SAM must not have generated a role or policy of its own beside ours.
    assert sorted(resources_of(transformed, "AWS::IAM::Role")) == [
        "FunctionRole", "PipeRole", "ReconcileSchedulerRole", "ReconcileStateMachineRole",
    ]
    assert not resources_of(transformed, "AWS::IAM::Policy")


def check_api_throttled(template: dict[str, Any]) -> None:
    _aid, api = one_resource(template, "AWS::Serverless::HttpApi")
    settings = api["Properties"].get("DefaultRouteSettings", {})
    for key in ("ThrottlingBurstLimit", "ThrottlingRateLimit"):
        param = ref_target(settings.get(key))
        assert param in template["Parameters"], f"HTTP API {key} must come from a parameter"


def check_secret_scoped(template: dict[str, Any]) -> None:
    params, conditions = template["Parameters"], template["Conditions"]
    secret_id, secret = one_resource(template, "AWS::SecretsManager::Secret")
    assert secret_id == "AtlassianSecret" and secret.get("Condition") == "CreateSecret"
    assert conditions["CreateSecret"] == {"Fn::Equals": [{"Ref": "ExistingSecretArn"}, ""]}
    pattern = params["ExistingSecretArn"].get("AllowedPattern", "")
    full = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/atlassian-lcm-AbC123"
    assert re.fullmatch(pattern, "") and re.fullmatch(pattern, full), "ExistingSecretArn must accept a full ARN"
    for bad in (full[:-7], full[:-6] + "*", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:*", "*"):
        assert not re.fullmatch(pattern, bad), f"ExistingSecretArn must refuse {bad!r} (one exact secret only)"
    secret_statements = [
        s for _w, s in statements(template)
        if any(str(a).lower().startswith("secretsmanager:") for a in statement_values(s, "Action"))
    ]
    assert len(secret_statements) == 1, f"exactly one statement may grant Secrets Manager access, got {len(secret_statements)}"
    (statement,) = secret_statements
    assert statement["Effect"] == "Allow"
    assert as_list(statement["Action"]) == ["secretsmanager:GetSecretValue"], statement["Action"]
    assert not isinstance(statement["Resource"], list), "the secret statement names one resource"
    assert statement["Resource"] == SECRET_ARN_EXPRESSION, statement["Resource"]
    assert not contains_wildcard(statement["Resource"])
    _fid, fn = function(template)
    assert fn["Properties"]["Environment"]["Variables"]["LCM_SECRET_ARN"] == SECRET_ARN_EXPRESSION


def check_retained(template: dict[str, Any]) -> None:
    kept = (
        resources_of(template, "AWS::SecretsManager::Secret")
        | resources_of(template, "AWS::SQS::Queue")
        | resources_of(template, "AWS::DynamoDB::Table")
        | resources_of(template, "AWS::S3::Bucket")
    )
    assert kept
    for logical_id, resource in kept.items():
        assert resource.get("DeletionPolicy") == "Retain", f"{logical_id} must survive stack deletion"
        assert resource.get("UpdateReplacePolicy") == "Retain", f"{logical_id} must survive replacement"


def _sqs_queue_id(template: dict[str, Any], value: Any) -> str:
    queue_id = ref_target(value)
    assert queue_id and template["Resources"].get(queue_id, {}).get("Type") == "AWS::SQS::Queue", (
        f"{value!r} is not one of the stack's SQS queues"
    )
    return queue_id


def rule_targets(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The rule's one target on each delivery path: `{"direct": ..., "queue": ...}`."""
    _rule_id, rule = one_resource(template, "AWS::Events::Rule")
    targets = rule["Properties"]["Targets"]
    assert isinstance(targets, dict) and set(targets) == {"Fn::If"}, "Targets: !If [DirectDelivery, ...]"
    condition, direct, queue = targets["Fn::If"]
    assert condition == "DirectDelivery", f"the rule's targets switch on DirectDelivery, not {condition}"
    found = {}
    for name, branch in (("direct", direct), ("queue", queue)):
        assert isinstance(branch, list) and len(branch) == 1, f"{name}: exactly one target"
        found[name] = branch[0]
    return found


def check_event_rule(template: dict[str, Any]) -> None:
    rule_id, rule = one_resource(template, "AWS::Events::Rule")
    props = rule["Properties"]
    assert props.get("State", "ENABLED") == "ENABLED"
    fn_id, _fn = function(template)
    targets = rule_targets(template)
    assert ref_target(targets["direct"]["Arn"]) == fn_id, "direct: the rule invokes the function"
    ingress = _sqs_queue_id(template, targets["queue"]["Arn"])
    assert ingress == pipe_source(template), "queue: the rule feeds the pipe's source queue"
    dlqs = set()
    for name, target in targets.items():
        retry = target.get("RetryPolicy", {})
        assert {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"} <= set(retry), f"{name} target needs a retry policy"
        dlqs.add(_sqs_queue_id(template, target.get("DeadLetterConfig", {}).get("Arn")))
    assert len(dlqs) == 1, f"both targets keep undeliverable events in the same dead-letter queue, not {dlqs}"
    (dlq_id,) = dlqs
    _only_rule_may_send(template, rule_id, dlq_id)
    _only_rule_may_send(template, rule_id, ingress)
    # EventBridge may send to the DLQ only on behalf of this rule.
    # And the rule may invoke the function, only as itself, only on the direct path.
    perms = [
        p for p in resources_of(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    assert len(perms) == 1 and ref_target(perms[0]["Properties"]["SourceArn"]) == rule_id
    assert perms[0].get("Condition") == "DirectDelivery", "the rule may invoke the function only when it targets it"


def _only_rule_may_send(template: dict[str, Any], rule_id: str, queue_id: str) -> None:
    """EventBridge may send to the queue only on behalf of the rule."""
    allowed = False
    for policy in resources_of(template, "AWS::SQS::QueuePolicy").values():
        if queue_id not in [ref_target(q) for q in policy["Properties"]["Queues"]]:
            continue
        for statement in as_list(policy["Properties"]["PolicyDocument"]["Statement"]):
            if statement["Effect"] != "Allow":
                continue
            assert statement.get("Principal") == {"Service": "events.amazonaws.com"}, statement
            source = statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn")
            assert ref_target(source) == rule_id, f"{queue_id} policy must be scoped by aws:SourceArn to the rule"
            assert as_list(statement["Action"]) == ["sqs:SendMessage"]
            assert ref_target(statement.get("Resource")) == queue_id, f"{queue_id} policy grants on itself only"
            allowed = True
    assert allowed, f"no queue policy lets EventBridge send to {queue_id}"


# The rule's bus: the stack's own bus, or the existing custom bus the operator names.
EVENT_BUS_EXPRESSION = {"Fn::If": ["CreateEventBus", {"Ref": "HrEventBus"}, {"Ref": "ExistingEventBusName"}]}
EVENT_SOURCES_EXPRESSION = {"Fn::Split": [",", {"Ref": "EventSources"}]}


def check_event_sources_trusted(template: dict[str, Any]) -> None:
    """The rule matches exactly the `EventSources` parameter's sources (no prefix, no
    wildcard) on a dedicated bus, never the default one, and the function is told the same
    sources (LCM_EVENT_SOURCES) so it refuses anything else that reaches it."""
    params, conditions = template["Parameters"], template["Conditions"]
    _rule_id, rule = one_resource(template, "AWS::Events::Rule")
    props = rule["Properties"]
    assert props["EventPattern"] == {"source": EVENT_SOURCES_EXPRESSION, "detail-type": ["Worker Lifecycle"]}, (
        f"rule must match exactly the EventSources sources and detail-type 'Worker Lifecycle': {props['EventPattern']}"
    )
    sources = params["EventSources"]
    assert sources["Type"] == "String" and sources.get("Default"), "EventSources: a comma list with a default"
    pattern = sources.get("AllowedPattern", "")
    for good in ("hr.workday", "hr.workday,hr.bamboohr", "com.example/hr"):
        assert re.fullmatch(pattern, good), f"EventSources must accept {good!r}"
    for bad in ("", "hr.workday,", ",hr.workday", "hr.workday, hr.bamboohr", "hr.*", "*"):
        assert not re.fullmatch(pattern, bad), f"EventSources must refuse {bad!r}"
    _fid, fn = function(template)
    env = fn["Properties"]["Environment"]["Variables"]
    assert env.get("LCM_EVENT_SOURCES") == {"Ref": "EventSources"}, "LCM_EVENT_SOURCES must be !Ref EventSources"
    # The bus: the stack's own, or an existing custom one; `default` is refused by both names.
    assert props.get("EventBusName") == EVENT_BUS_EXPRESSION, f"rule bus {props.get('EventBusName')!r}"
    assert conditions["CreateEventBus"] == {"Fn::Equals": [{"Ref": "ExistingEventBusName"}, ""]}
    bus_id, bus = one_resource(template, "AWS::Events::EventBus")
    assert bus_id == "HrEventBus" and bus.get("Condition") == "CreateEventBus"
    assert bus["Properties"]["Name"] == {"Ref": "EventBusName"}
    for name, allow_empty in (("EventBusName", False), ("ExistingEventBusName", True)):
        pattern = params[name].get("AllowedPattern", "")
        assert re.fullmatch(pattern, "hr-events"), f"{name} must accept a custom bus name"
        assert not re.fullmatch(pattern, "default"), f"{name} must refuse the default bus"
        assert bool(re.fullmatch(pattern, "")) == allow_empty, f"{name}: empty {'allowed' if allow_empty else 'refused'}"
    assert params["ExistingEventBusName"].get("Default") == "", "the stack creates its bus by default"


def check_ledger_table(template: dict[str, Any]) -> None:
    """The ordering ledger: on-demand, point-in-time recovery, encrypted, TTL on the
    leases' `expiresAt`, keyed by the string `pk`, retained, and named to the function."""
    table_id, table = one_resource(template, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props.get("BillingMode") == "PAY_PER_REQUEST", "the ledger is billed on demand"
    assert "ProvisionedThroughput" not in props
    assert props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is True, (
        "the ledger needs point-in-time recovery"
    )
    assert props.get("SSESpecification", {}).get("SSEEnabled") is True, "the ledger is encrypted with KMS"
    assert props.get("TimeToLiveSpecification") == {"AttributeName": "expiresAt", "Enabled": True}, (
        "TTL must be on the leases' expiresAt (epoch seconds)"
    )
    assert props.get("KeySchema") == [{"AttributeName": "pk", "KeyType": "HASH"}], "partition key pk only"
    assert props.get("AttributeDefinitions") == [{"AttributeName": "pk", "AttributeType": "S"}]
    for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
        assert table.get(policy) == "Retain", f"{table_id} {policy} must be Retain"
    _fid, fn = function(template)
    env = fn["Properties"]["Environment"]["Variables"]
    assert env.get("LCM_LEDGER_TABLE") == {"Ref": table_id}, f"LCM_LEDGER_TABLE must be !Ref {table_id}"


LEDGER_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]


def check_ledger_least_privilege(template: dict[str, Any]) -> None:
    """One statement, in the function role, grants DynamoDB: exactly the four single-item
    actions, on exactly the ledger table (no index, no other table, no wildcard)."""
    table_id, _table = one_resource(template, "AWS::DynamoDB::Table")
    dynamo = [
        (where, s) for where, s in statements(template)
        if any(str(a).lower().startswith("dynamodb:") or str(a) == "*" for a in statement_values(s, "Action"))
        and s.get("Effect") == "Allow"
    ]
    assert len(dynamo) == 1, f"exactly one statement may grant DynamoDB access, got {[w for w, _s in dynamo]}"
    ((where, statement),) = dynamo
    assert where.startswith("FunctionRole."), f"the DynamoDB grant belongs to the function role, not {where}"
    assert sorted(as_list(statement["Action"])) == sorted(LEDGER_ACTIONS), statement["Action"]
    assert not isinstance(statement["Resource"], list), "the ledger statement names one resource"
    assert statement["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}, statement["Resource"]


def check_queues_encrypted(template: dict[str, Any]) -> None:
    queues = resources_of(template, "AWS::SQS::Queue")
    assert queues
    for queue_id, queue in queues.items():
        props = queue.get("Properties", {})
        assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), f"{queue_id} is not encrypted"


def check_on_failure_destination(template: dict[str, Any]) -> None:
    _fid, fn = function(template)
    config = fn["Properties"].get("EventInvokeConfig", {})
    for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        assert ref_target(config.get(key)) in template["Parameters"], f"EventInvokeConfig.{key} must be a parameter"
    on_failure = config.get("DestinationConfig", {}).get("OnFailure", {})
    assert on_failure.get("Type") == "SQS", "asynchronous invocations need an SQS on-failure destination"
    queue_id = _sqs_queue_id(template, on_failure.get("Destination"))
    # The function sends permanent failures itself, to that same queue (and no other).
    env_queue = fn["Properties"]["Environment"]["Variables"].get("LCM_FAILURE_QUEUE_URL")
    assert env_queue == {"Ref": queue_id}, f"LCM_FAILURE_QUEUE_URL must be !Ref {queue_id}, is {env_queue!r}"
    sends = [s for s in function_role_statements(template) if "sqs:SendMessage" in as_list(s["Action"])]
    assert len(sends) == 1 and ref_target(sends[0]["Resource"]) == queue_id, (
        "the role may send to the on-failure queue and nothing else"
    )
    assert as_list(sends[0]["Action"]) == ["sqs:SendMessage"]


# Step Functions' CloudWatch Logs delivery: these actions take no resource ARN (AWS documents
# Resource "*" for a state machine's logging).
LOG_DELIVERY_ACTIONS = {
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
}

RECONCILE_MACHINE_ARN = {"Fn::Sub": (
    "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${AWS::StackName}-reconcile"
)}
RECONCILE_EXECUTIONS_ARN = {"Fn::Sub": (
    "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${AWS::StackName}-reconcile/*"
)}
ROSTERS_ARN = {"Fn::Sub": "${ReconcileBucket.Arn}/rosters/*"}
REPORTS_ARN = {"Fn::Sub": "${ReconcileBucket.Arn}/reports/*"}
FUNCTION_VERSIONS_ARN = {"Fn::Sub": "${LcmFunction.Arn}:*"}

# The only resource wildcards a role may hold: the objects under one prefix of the stack's
# own bucket, the function's versions and aliases, the reconcile's own map executions.
SCOPED_WILDCARDS = [ROSTERS_ARN, REPORTS_ARN, FUNCTION_VERSIONS_ARN, RECONCILE_EXECUTIONS_ARN]


def check_no_wildcard_allow(template: dict[str, Any]) -> None:
    """No Allow statement anywhere grants a wildcard action on a wildcard resource;
    the roles use `*` resources only for X-Ray and Step Functions' log delivery, which
    have no resource ARNs, and other wildcards only as SCOPED_WILDCARDS."""
    for where, statement in statements(template):
        if statement.get("Effect") != "Allow" or "Resource" not in statement:
            continue
        actions = [str(a) for a in statement_values(statement, "Action")]
        resources = statement_values(statement, "Resource")
        assert not statement.get("NotAction") and not statement.get("NotResource"), f"{where}: no Not* in Allow"
        if any(r == "*" for r in resources):
            assert not any("*" in a for a in actions), f"{where}: wildcard action {actions} on '*'"
    # Every role of the stack (the function's and the pipe's) names its resources.
    function_role_statements(template)  # the function uses the stack's own role
    role_statements = []
    for role_id, role in resources_of(template, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in as_list(policy["PolicyDocument"]["Statement"]):
                role_statements.extend((role_id, s) for s in branches(statement))
    for where, statement in role_statements:
        if "*" in as_list(statement["Resource"]):
            assert all(a.startswith("xray:") or a in LOG_DELIVERY_ACTIONS for a in as_list(statement["Action"])), (
                f"{where}: only X-Ray and CloudWatch Logs delivery may be granted on '*': {statement}"
            )
        else:
            for resource in as_list(statement["Resource"]):
                assert not contains_wildcard(resource) or resource in SCOPED_WILDCARDS, f"{where}: {statement}"


def check_switches_wired(template: dict[str, Any]) -> None:
    params = template["Parameters"]
    _fid, fn = function(template)
    env = fn["Properties"]["Environment"]["Variables"]
    for var, param in SWITCHES.items():
        assert env.get(var) == {"Ref": param}, f"{var} must be !Ref {param}, is {env.get(var)!r}"
        assert param in params, f"parameter {param} missing"
    for flag in ("AllowDelete", "DeleteAccounts", "DryRunOnly", "AllowCustomEndpoints", "VerifyProducts"):
        assert params[flag].get("AllowedValues") == ["true", "false"], f"{flag} must be true/false"
    assert params["AllowDelete"]["Default"] == "false" and params["DeleteAccounts"]["Default"] == "false", (
        "deletion must be opt-in"
    )
    assert params["MaxRemovals"]["Type"] == "Number"


def check_alarms(template: dict[str, Any]) -> None:
    fn_id, _fn = function(template)
    alarms = list(resources_of(template, "AWS::CloudWatch::Alarm").values())

    def has(namespace: str, metric: str, dimension: str, target: str, threshold: Any = 0) -> bool:
        for alarm in alarms:
            p = alarm["Properties"]
            dims = [d for d in p.get("Dimensions", []) if isinstance(d, dict) and "Name" in d]
            if (p.get("Namespace"), p.get("MetricName")) != (namespace, metric):
                continue
            if not any(d["Name"] == dimension and ref_target(d["Value"]) == target for d in dims):
                continue
            if p.get("ComparisonOperator") == "GreaterThanThreshold" and p.get("Threshold") == threshold:
                return True
        return False

    assert has("AWS/Lambda", "Errors", "FunctionName", fn_id), "no alarm on function errors"
    assert has("AWS/Lambda", "Throttles", "FunctionName", fn_id), "no alarm on function throttles"
    offboarding = [
        a["Properties"]
        for a in alarms
        if any(
            m.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "OffboardingUnproven"
            for m in a["Properties"].get("Metrics", [])
        )
    ]
    assert offboarding and offboarding[0].get("Threshold") == 0, "no alarm on unproven offboarding"
    consumed = {pipe_source(template), event_queue(template)}
    for queue_id in resources_of(template, "AWS::SQS::Queue"):
        if queue_id in consumed:
            # A working queue is busy during a load: alarm on the age of its oldest record.
            # Older than a visibility timeout: redelivered at least once, or not polled at all.
            age = {"Ref": "QueueVisibilityTimeoutSeconds"}
            assert has("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", queue_id, age), (
                f"no age alarm on {queue_id}"
            )
        else:
            assert has("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue_id), (
                f"no depth alarm on {queue_id}"
            )
    pipe_id, _pipe = one_resource(template, "AWS::Pipes::Pipe")
    for metric in ("ExecutionThrottled", "ExecutionFailed"):
        assert has("AWS/EventBridge/Pipes", metric, "PipeName", pipe_id), f"no alarm on the pipe's {metric}"
    machine_id, _machine = one_resource(template, "AWS::StepFunctions::StateMachine")
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut"):
        assert has("AWS/States", metric, "StateMachineArn", machine_id), f"no alarm on the reconcile's {metric}"


def check_operations(template: dict[str, Any]) -> None:
    """Reserved concurrency, log retention and tracing are parameters."""
    params = template["Parameters"]
    _fid, fn = function(template)
    props = fn["Properties"]
    reserved = props.get("ReservedConcurrentExecutions")
    assert any(ref_target(v) == "ReservedConcurrency" for v in branches(reserved)), "reserved concurrency parameter"
    log_group = ref_target(props.get("LoggingConfig", {}).get("LogGroup"))
    assert log_group, "the function logs to the stack's log group"
    retention = template["Resources"][log_group]["Properties"].get("RetentionInDays")
    assert ref_target(retention) == "LogRetentionDays", "log retention comes from the LogRetentionDays parameter"
    assert props.get("Tracing") == {"Fn::If": ["TracingEnabled", "Active", "PassThrough"]}, "tracing is optional"
    assert template["Conditions"]["TracingEnabled"] == {"Fn::Equals": [{"Ref": "EnableTracing"}, "true"]}
    assert "EnableTracing" in params and "LogRetentionDays" in params


def pipe_source(template: dict[str, Any]) -> str:
    _pid, pipe = one_resource(template, "AWS::Pipes::Pipe")
    return _sqs_queue_id(template, pipe["Properties"].get("Source"))


def event_queue(template: dict[str, Any]) -> str:
    _mid, mapping = one_resource(template, "AWS::Lambda::EventSourceMapping")
    return _sqs_queue_id(template, mapping["Properties"].get("EventSourceArn"))


def _redrive_target(template: dict[str, Any], queue_id: str) -> str:
    redrive = template["Resources"][queue_id]["Properties"].get("RedrivePolicy", {})
    dlq = _sqs_queue_id(template, redrive.get("deadLetterTargetArn"))
    assert ref_target(redrive.get("maxReceiveCount")) == "QueueMaxReceiveCount", (
        f"{queue_id}: maxReceiveCount comes from QueueMaxReceiveCount"
    )
    return dlq


QUEUE_PATH_PARTS = (
    "IngressQueue", "IngressDeadLetterQueue", "IngressQueuePolicy", "EventQueue", "EventDeadLetterQueueFifo",
    "EventQueuePolicy", "PipeRole", "EventsPipe", "EventQueueMapping",
)


def check_event_queue(template: dict[str, Any]) -> None:
    """The FIFO event queue and its event source mapping: partial batch responses,
    concurrency and batch size from parameters, a FIFO dead-letter queue, and the queue
    path built only when EventDelivery=queue (the default)."""
    params, conditions = template["Parameters"], template["Conditions"]
    delivery = params["EventDelivery"]
    assert delivery.get("AllowedValues") == ["queue", "direct"] and delivery.get("Default") == "queue"
    assert conditions["DirectDelivery"] == {"Fn::Equals": [{"Ref": "EventDelivery"}, "direct"]}
    assert conditions["QueueDelivery"] == {"Fn::Not": [conditions["DirectDelivery"]]}
    for part in QUEUE_PATH_PARTS:
        assert template["Resources"][part].get("Condition") == "QueueDelivery", f"{part} belongs to the queue path"
    mapping_id, mapping = one_resource(template, "AWS::Lambda::EventSourceMapping")
    props = mapping["Properties"]
    fn_id, _fn = function(template)
    assert ref_target(props.get("FunctionName")) == fn_id
    assert props.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], (
        f"{mapping_id} must let the function report partial batch failures"
    )
    assert ref_target(props.get("ScalingConfig", {}).get("MaximumConcurrency")) == "QueueMaximumConcurrency"
    concurrency = params["QueueMaximumConcurrency"]
    assert (concurrency.get("MinValue"), concurrency.get("MaxValue")) == (2, 1000), "MaximumConcurrency is 2-1000"
    assert ref_target(props.get("BatchSize")) == "QueueBatchSize"
    assert params["QueueBatchSize"].get("MaxValue", 10**6) <= 10, "a FIFO event source takes at most 10 records"
    assert "MaximumBatchingWindowInSeconds" not in props, "FIFO event sources take no batching window"
    queue_id = event_queue(template)
    queue = template["Resources"][queue_id]["Properties"]
    assert queue.get("FifoQueue") is True, f"{queue_id} must be FIFO: one worker's events in order"
    assert ref_target(queue.get("VisibilityTimeout")) == "QueueVisibilityTimeoutSeconds"
    dlq = _redrive_target(template, queue_id)
    assert template["Resources"][dlq]["Properties"].get("FifoQueue") is True, "a FIFO queue's DLQ is FIFO"
    # The function may consume exactly this queue, on the queue path only.
    consume = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"}
    _rid, role = one_role_of_function(template)
    grants = []
    for policy in role["Properties"].get("Policies", []):
        for statement in as_list(policy["PolicyDocument"]["Statement"]):
            for concrete in branches(statement):
                if any(str(a) in consume or str(a) in ("sqs:*", "*") for a in as_list(concrete.get("Action"))):
                    grants.append((statement, concrete))
    assert len(grants) == 1, f"one statement lets the function consume a queue, got {len(grants)}"
    ((wrapper, statement),) = grants
    assert isinstance(wrapper, dict) and wrapper.get("Fn::If", [None])[0] == "QueueDelivery", (
        "the consume grant exists only on the queue path"
    )
    assert set(as_list(statement["Action"])) == consume, statement["Action"]
    assert statement["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}, statement["Resource"]


def one_role_of_function(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _fid, fn = function(template)
    role_id = ref_target(fn["Properties"].get("Role"))
    return role_id, template["Resources"][role_id]


def check_pipe(template: dict[str, Any]) -> None:
    """The pipe: from the rule's ingress queue to the FIFO event queue, the message group
    taken from the worker's hrId and the deduplication id from the event id, the body
    forwarded unchanged; its role may only read the one and send to the other."""
    pipe_id, pipe = one_resource(template, "AWS::Pipes::Pipe")
    props = pipe["Properties"]
    source, target = pipe_source(template), _sqs_queue_id(template, props.get("Target"))
    assert target == event_queue(template), f"{pipe_id} must feed the queue the function consumes"
    assert not template["Resources"][source]["Properties"].get("FifoQueue"), "the ingress queue is standard"
    _redrive_target(template, source)
    assert props.get("DesiredState", "RUNNING") == "RUNNING"
    params = props.get("TargetParameters", {})
    sqs = params.get("SqsQueueParameters", {})
    assert sqs.get("MessageGroupId") == "$.body.detail.worker.hrId", "one message group per worker (hrId)"
    assert sqs.get("MessageDeduplicationId") == "$.body.id", "deduplicate on the EventBridge event id"
    assert params.get("InputTemplate") == "<$.body>", "the function receives the EventBridge event unchanged"
    assert "Enrichment" not in props, "no enrichment: nothing else sees the events"
    role_id = ref_target(props.get("RoleArn"))
    role = template["Resources"][role_id]
    trust = as_list(role["Properties"]["AssumeRolePolicyDocument"]["Statement"])
    assert len(trust) == 1 and trust[0].get("Principal") == {"Service": "pipes.amazonaws.com"}, trust
    assert trust[0].get("Condition", {}).get("StringEquals", {}).get("aws:SourceAccount") == {"Ref": "AWS::AccountId"}, (
        "only pipes of this account may assume the pipe role"
    )
    assert not role["Properties"].get("ManagedPolicyArns"), "the pipe role attaches no managed policy"
    granted = {}
    for policy in role["Properties"].get("Policies", []):
        for statement in as_list(policy["PolicyDocument"]["Statement"]):
            assert statement.get("Effect") == "Allow"
            queue = ref_target(statement.get("Resource"))
            assert queue and not isinstance(statement["Resource"], list), f"one named queue per statement: {statement}"
            granted.setdefault(queue, set()).update(as_list(statement["Action"]))
    assert granted == {
        source: {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"},
        target: {"sqs:SendMessage"},
    }, f"the pipe role may read {source} and send to {target}, nothing else: {granted}"


# ---------------------------------------------------------------------------------------
# The distributed reconcile (issue 13 item 3; the contract is in infra/README.md)
# ---------------------------------------------------------------------------------------

RECONCILE_PARTS = (
    "ReconcileBucket", "ReconcileBucketPolicy", "ReconcileStateMachineLogGroup", "ReconcileStateMachineRole",
    "ReconcileStateMachine", "ReconcileScheduleDeadLetterQueue", "ReconcileScheduleDeadLetterQueuePolicy",
    "ReconcileSchedulerRole", "ReconcileSchedule", "ReconcileExecutionsFailedAlarm",
    "ReconcileExecutionsTimedOutAlarm", "ReconcileScheduleDeadLetterDepthAlarm",
)

# Parameter -> (type, default, min, max) or (type, default, allowed values).
RECONCILE_PARAMETERS = {
    "EnableReconcile": ("String", "true", ["true", "false"]),
    "ReconcileBatchSize": ("Number", 50, 1, 500),
    "ReconcileMaxConcurrency": ("Number", 4, 1, 40),
    "ReconcileToleratedFailurePercentage": ("Number", 0, 0, 100),
    "ReconcileScheduleState": ("String", "DISABLED", ["ENABLED", "DISABLED"]),
}


def _reconcile_bucket(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    bucket_id, bucket = one_resource(template, "AWS::S3::Bucket")
    assert bucket_id == "ReconcileBucket", bucket_id
    return bucket_id, bucket


def check_reconcile_switch(template: dict[str, Any]) -> None:
    """Every part of the reconcile exists only when EnableReconcile=true (the default), and
    its parameters have the contract's types, defaults and bounds."""
    params, conditions = template["Parameters"], template["Conditions"]
    assert conditions["ReconcileEnabled"] == {"Fn::Equals": [{"Ref": "EnableReconcile"}, "true"]}
    for part in RECONCILE_PARTS:
        assert template["Resources"][part].get("Condition") == "ReconcileEnabled", f"{part} belongs to the reconcile"
    for rtype in ("AWS::S3::Bucket", "AWS::StepFunctions::StateMachine", "AWS::Scheduler::Schedule"):
        for rid, resource in resources_of(template, rtype).items():
            assert resource.get("Condition") == "ReconcileEnabled", f"{rid} belongs to the reconcile"
    for name, spec in RECONCILE_PARAMETERS.items():
        param = params[name]
        assert (param.get("Type"), param.get("Default")) == spec[:2], f"{name}: {param}"
        if len(spec) == 3:
            assert param.get("AllowedValues") == spec[2], f"{name}: allowed values {param.get('AllowedValues')}"
        else:
            assert (param.get("MinValue"), param.get("MaxValue")) == spec[2:], f"{name}: bounds"
    key = params["ReconcileRosterKey"]
    assert key.get("Default") == "rosters/roster.jsonl"
    for good in ("rosters/roster.jsonl", "rosters/2026/hr-export.jsonl"):
        assert re.fullmatch(key["AllowedPattern"], good), f"ReconcileRosterKey must accept {good!r}"
    for bad in ("reports/plan.jsonl", "roster.jsonl", 'rosters/x","a":"b', "rosters/a b", "rosters/"):
        assert not re.fullmatch(key["AllowedPattern"], bad), f"ReconcileRosterKey must refuse {bad!r}"
    assert params["ReconcileScheduleExpression"].get("Default") == "cron(0 3 * * ? *)"
    outputs = template["Outputs"]
    assert ref_target(outputs["ReconcileBucketName"]["Value"]) == "ReconcileBucket"
    assert ref_target(outputs["ReconcileStateMachineArn"]["Value"]) == "ReconcileStateMachine"
    for output in ("ReconcileBucketName", "ReconcileStateMachineArn"):
        assert outputs[output].get("Condition") == "ReconcileEnabled", f"output {output} needs ReconcileEnabled"


def check_reconcile_bucket(template: dict[str, Any]) -> None:
    """The roster and report bucket: SSE-S3, all public access blocked, versioned, owner
    enforced (no ACLs), old versions and reports expire, retained, TLS only."""
    bucket_id, bucket = _reconcile_bucket(template)
    props = bucket["Properties"]
    rules = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    assert len(rules) == 1 and rules[0].get("ServerSideEncryptionByDefault") == {"SSEAlgorithm": "AES256"}, (
        f"{bucket_id} must be encrypted with SSE-S3 (AES256): {rules}"
    )
    block = props.get("PublicAccessBlockConfiguration", {})
    for key in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
        assert block.get(key) is True, f"{bucket_id}: PublicAccessBlockConfiguration.{key} must be true"
    assert props.get("VersioningConfiguration") == {"Status": "Enabled"}, f"{bucket_id} must be versioned"
    assert props.get("OwnershipControls") == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}, (
        f"{bucket_id}: BucketOwnerEnforced (no ACLs)"
    )
    assert "AccessControl" not in props and "WebsiteConfiguration" not in props, f"{bucket_id} is private"
    lifecycle = props.get("LifecycleConfiguration", {}).get("Rules", [])
    enabled = [r for r in lifecycle if r.get("Status") == "Enabled"]
    assert any(r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") for r in enabled), (
        "noncurrent versions must expire"
    )
    assert any(r.get("Prefix") == "reports/" and r.get("ExpirationInDays") for r in enabled), "reports/ must expire"
    assert not any(r.get("ExpirationInDays") and r.get("Prefix", "") in ("", "rosters/") for r in enabled), (
        "only reports expire: a roster stays until HR replaces it"
    )
    for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
        assert bucket.get(policy) == "Retain", f"{bucket_id} {policy} must be Retain"
    policies = [p for p in resources_of(template, "AWS::S3::BucketPolicy").values()
                if ref_target(p["Properties"].get("Bucket")) == bucket_id]
    assert len(policies) == 1, f"{bucket_id} needs one bucket policy"
    denies = [
        s for s in as_list(policies[0]["Properties"]["PolicyDocument"]["Statement"])
        if s.get("Effect") == "Deny" and s.get("Principal") == "*"
        and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        and as_list(s.get("Action")) == ["s3:*"]
    ]
    assert denies, f"{bucket_id} policy must deny every request without TLS (aws:SecureTransport false)"
    resources = as_list(denies[0].get("Resource"))
    assert {"Fn::GetAtt": [bucket_id, "Arn"]} in resources and {"Fn::Sub": f"${{{bucket_id}.Arn}}/*"} in resources, (
        f"the TLS deny covers the bucket and its objects: {resources}"
    )
    allows = [s for s in as_list(policies[0]["Properties"]["PolicyDocument"]["Statement"]) if s.get("Effect") != "Deny"]
    assert not allows, f"{bucket_id} policy grants nothing (roles do): {allows}"


def _s3_grants(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (where, s) for where, s in statements(template)
        if s.get("Effect") == "Allow"
        and any(str(a).lower().startswith("s3:") or str(a) == "*" for a in statement_values(s, "Action"))
    ]


def check_reconcile_function_s3(template: dict[str, Any]) -> None:
    """The function may read only rosters/* and write only reports/* of the reconcile
    bucket (no listing, no delete, no other bucket), only when the reconcile is on, and is
    told the bucket and prefixes."""
    bucket_id, _bucket = _reconcile_bucket(template)
    role_id, role = one_role_of_function(template)
    wrapped = []
    for policy in role["Properties"].get("Policies", []):
        for statement in as_list(policy["PolicyDocument"]["Statement"]):
            for concrete in branches(statement):
                if any(str(a).lower().startswith("s3:") or str(a) == "*" for a in as_list(concrete.get("Action"))):
                    wrapped.append((statement, concrete))
    grants = {}
    for wrapper, statement in wrapped:
        assert isinstance(wrapper, dict) and wrapper.get("Fn::If", [None])[0] == "ReconcileEnabled", (
            f"{role_id}: the S3 grants exist only with the reconcile: {statement}"
        )
        assert statement.get("Effect") == "Allow" and not statement.get("Condition")
        action = as_list(statement["Action"])
        assert len(action) == 1 and not isinstance(statement["Resource"], list), f"one action, one resource: {statement}"
        assert action[0] not in grants, f"{action[0]} granted twice"
        grants[action[0]] = statement["Resource"]
    assert grants == {"s3:GetObject": ROSTERS_ARN, "s3:PutObject": REPORTS_ARN}, (
        f"{role_id}: s3:GetObject on rosters/* and s3:PutObject on reports/* only, got {grants}"
    )
    _fid, fn = function(template)
    env = fn["Properties"]["Environment"]["Variables"]
    no_value = {"Ref": "AWS::NoValue"}
    for var, value in (("LCM_RECONCILE_BUCKET", {"Ref": bucket_id}), ("LCM_ROSTER_PREFIX", "rosters/"),
                       ("LCM_REPORT_PREFIX", "reports/")):
        expected = {"Fn::If": ["ReconcileEnabled", value, no_value]}
        assert env.get(var) == expected, f"{var} must be {expected}, is {env.get(var)!r}"
    # Nobody else in the stack touches S3 but the state machine reading plans.
    others = [(w, s) for w, s in _s3_grants(template) if not w.startswith(f"{role_id}.")]
    assert [(w.split(".")[0], s.get("Action"), s.get("Resource")) for w, s in others] == [
        ("ReconcileStateMachineRole", "s3:GetObject", REPORTS_ARN)
    ], f"S3 grants outside the function role: {others}"


def _role_grants(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    role = template["Resources"][role_id]
    assert role["Type"] == "AWS::IAM::Role"
    assert not role["Properties"].get("ManagedPolicyArns"), f"{role_id} attaches no managed policy"
    found = []
    for policy in role["Properties"].get("Policies", []):
        for statement in as_list(policy["PolicyDocument"]["Statement"]):
            found.extend(branches(statement))
    return found


def _trusts_only(template: dict[str, Any], role_id: str, service: str) -> None:
    trust = as_list(template["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"])
    assert len(trust) == 1 and trust[0].get("Principal") == {"Service": service}, f"{role_id}: trust {trust}"
    assert as_list(trust[0].get("Action")) == ["sts:AssumeRole"]
    assert trust[0].get("Condition", {}).get("StringEquals", {}).get("aws:SourceAccount") == {"Ref": "AWS::AccountId"}, (
        f"only {service} on behalf of this account may assume {role_id}"
    )


def _grant_map(grants: list[dict[str, Any]], where: str) -> dict[str, list[Any]]:
    """action -> resources, refusing Deny-less oddities (Not*, conditions, wildcard actions)."""
    found: dict[str, list[Any]] = {}
    for statement in grants:
        assert statement.get("Effect") == "Allow", f"{where}: {statement}"
        assert not statement.get("NotAction") and not statement.get("NotResource"), f"{where}: no Not*"
        for action in as_list(statement["Action"]):
            assert "*" not in str(action), f"{where}: wildcard action {action}"
            assert action not in found, f"{where}: {action} granted twice"
            found[action] = as_list(statement["Resource"])
    return found


def check_reconcile_state_machine_role(template: dict[str, Any]) -> None:
    """The state machine's role: invoke the function (and its versions) only, read only
    reports/*, start and watch only its own map executions, deliver its logs, trace if on."""
    machine_id, machine = one_resource(template, "AWS::StepFunctions::StateMachine")
    role_id = ref_target(machine["Properties"].get("RoleArn"))
    assert role_id == "ReconcileStateMachineRole", role_id
    _trusts_only(template, role_id, "states.amazonaws.com")
    fn_id, _fn = function(template)
    granted = _grant_map(_role_grants(template, role_id), role_id)
    expected = {
        "lambda:InvokeFunction": [{"Fn::GetAtt": [fn_id, "Arn"]}, FUNCTION_VERSIONS_ARN],
        "s3:GetObject": [REPORTS_ARN],
        "states:StartExecution": [RECONCILE_MACHINE_ARN],
        "states:DescribeExecution": [RECONCILE_EXECUTIONS_ARN],
        "states:StopExecution": [RECONCILE_EXECUTIONS_ARN],
    }
    expected.update({action: ["*"] for action in LOG_DELIVERY_ACTIONS})
    xray = {a: r for a, r in granted.items() if a.startswith("xray:")}
    rest = {a: r for a, r in granted.items() if not a.startswith("xray:")}
    assert rest == expected, f"{role_id} grants {rest}, expected {expected}"
    assert all(r == ["*"] for r in xray.values())
    statements_ = template["Resources"][role_id]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    for statement in statements_:
        if any(str(a).startswith("xray:") for s in branches(statement) for a in as_list(s["Action"])):
            assert isinstance(statement, dict) and statement.get("Fn::If", [None])[0] == "TracingEnabled", (
                "X-Ray only with EnableTracing"
            )
    # The state machine's own name is what RECONCILE_MACHINE_ARN names.
    assert machine["Properties"].get("StateMachineName") == {"Fn::Sub": "${AWS::StackName}-reconcile"}
    assert machine["Properties"].get("StateMachineType") == "STANDARD", "a Distributed Map needs a STANDARD machine"


def check_reconcile_schedule(template: dict[str, Any]) -> None:
    """The schedule starts this state machine only, with the roster key as input, retries,
    and keeps what it could not start in an encrypted dead-letter queue; its role may start
    this machine and write that queue, nothing else."""
    machine_id, _machine = one_resource(template, "AWS::StepFunctions::StateMachine")
    schedule_id, schedule = one_resource(template, "AWS::Scheduler::Schedule")
    props = schedule["Properties"]
    assert ref_target(props.get("ScheduleExpression")) == "ReconcileScheduleExpression"
    assert ref_target(props.get("State")) == "ReconcileScheduleState"
    assert template["Parameters"]["ReconcileScheduleState"]["Default"] == "DISABLED", "off until a roster exists"
    target = props.get("Target", {})
    assert ref_target(target.get("Arn")) == machine_id, f"{schedule_id} must start {machine_id}"
    assert target.get("Input") == {"Fn::Sub": '{"rosterKey":"${ReconcileRosterKey}"}'}, target.get("Input")
    retry = target.get("RetryPolicy", {})
    assert {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"} <= set(retry), f"{schedule_id} needs a retry policy"
    dlq = _sqs_queue_id(template, target.get("DeadLetterConfig", {}).get("Arn"))
    role_id = ref_target(target.get("RoleArn"))
    assert role_id == "ReconcileSchedulerRole", role_id
    _trusts_only(template, role_id, "scheduler.amazonaws.com")
    granted = _grant_map(_role_grants(template, role_id), role_id)
    assert granted == {
        "states:StartExecution": [{"Ref": machine_id}],
        "sqs:SendMessage": [{"Fn::GetAtt": [dlq, "Arn"]}],
    }, f"{role_id} may start {machine_id} and dead-letter to {dlq}, nothing else: {granted}"


def check_reconcile_state_machine_operations(template: dict[str, Any]) -> None:
    """Logs to its own retained log group (LogRetentionDays), without execution data (names,
    e-mail addresses), tracing per EnableTracing."""
    machine_id, machine = one_resource(template, "AWS::StepFunctions::StateMachine")
    props = machine["Properties"]
    logging = props.get("LoggingConfiguration", {})
    assert logging.get("Level") in ("ALL", "ERROR"), f"{machine_id} must log"
    assert logging.get("IncludeExecutionData") is False, "execution data (people) stays out of the logs"
    (destination,) = logging.get("Destinations", [None])
    group = ref_target(destination["CloudWatchLogsLogGroup"]["LogGroupArn"])
    assert group and group != "FunctionLogGroup", f"{machine_id} logs to a log group of its own"
    group_res = template["Resources"][group]
    assert ref_target(group_res["Properties"].get("RetentionInDays")) == "LogRetentionDays", (
        f"{group}: retention comes from LogRetentionDays"
    )
    assert group_res.get("DeletionPolicy") == "Retain" and group_res.get("UpdateReplacePolicy") == "Retain", (
        f"{group} is part of the audit trail: retained"
    )
    tracing = props.get("TracingConfiguration")
    assert tracing == {"Enabled": {"Fn::If": ["TracingEnabled", True, False]}}, f"tracing per EnableTracing: {tracing}"


PLAN_PAYLOAD = {"lcmStep": "reconcile-plan", "rosterKey.$": "$.rosterKey", "runId.$": "$$.Execution.Name"}
BATCH_PAYLOAD = {"lcmStep": "reconcile-batch", "BatchInput.$": "$.BatchInput", "Items.$": "$.Items"}
SUMMARY_PAYLOAD = {
    "lcmStep": "reconcile-summary", "runId.$": "$.runId", "bucket.$": "$.bucket",
    "planned.$": "$.summary", "batches.$": "$.batches",
}
LAMBDA_ERRORS = {
    "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
STATE_ORDER = [
    "Plan", "Proceed", "PlanRefused", "ApplyBatches", "MapFailed", "Summary", "Converged",
    "ReconcileIncomplete", "Done",
]


def _invokes_function(state: dict[str, Any], payload: dict[str, Any], where: str) -> None:
    assert state.get("Type") == "Task" and state.get("Resource") == "arn:aws:states:::lambda:invoke", where
    params = state.get("Parameters", {})
    assert set(params) == {"FunctionName", "Payload"}, f"{where}: Parameters {sorted(params)}"
    from state_machine import PLACEHOLDERS  # noqa: PLC0415 - cfn_template is imported by state_machine
    assert params["FunctionName"] == PLACEHOLDERS["LcmFunction.Arn"], f"{where} must invoke the function"
    assert params["Payload"] == payload, f"{where}: payload {params['Payload']} != {payload}"
    assert state.get("OutputPath") == "$.Payload", f"{where}: OutputPath $.Payload"


def _retried_errors(state: dict[str, Any]) -> set[str]:
    return {e for r in state.get("Retry", []) for e in r.get("ErrorEquals", [])}


def check_reconcile_definition(template: dict[str, Any]) -> None:
    """The definition is the contract: states and their order, the payloads, DISTRIBUTED map
    over the plan's JSONL with the batcher's BatchInput, numbers from the parameters (JSON
    numbers), the retries, the fail states."""
    import state_machine  # noqa: PLC0415 - it imports this module

    params = template["Parameters"]
    d = state_machine.definition_of(template)
    states = d.get("States", {})
    assert list(states) == STATE_ORDER, f"states {list(states)} != {STATE_ORDER}"
    assert d.get("StartAt") == "Plan"
    for name, state in states.items():
        for key in ("Next", "Default"):
            if key in state:
                assert state[key] in states, f"{name}.{key} -> {state[key]} does not exist"
        for choice in state.get("Choices", []):
            assert choice["Next"] in states, f"{name} -> {choice['Next']} does not exist"

    plan = states["Plan"]
    _invokes_function(plan, PLAN_PAYLOAD, "Plan")
    assert plan.get("Next") == "Proceed"
    assert LAMBDA_ERRORS | {"Lcm.TransientFailure"} <= _retried_errors(plan), f"Plan retries {_retried_errors(plan)}"

    assert states["Proceed"] == {
        "Type": "Choice",
        "Choices": [
            {"Variable": "$.proceed", "BooleanEquals": False, "Next": "PlanRefused"},
            {"Variable": "$.items", "NumericEquals": 0, "Next": "Summary"},
        ],
        "Default": "ApplyBatches",
    }, f"Proceed: {states['Proceed']}"
    for fail, error in (("PlanRefused", "ReconcilePlanRefused"), ("MapFailed", "ReconcileMapFailed"),
                        ("ReconcileIncomplete", "ReconcileIncomplete")):
        assert states[fail].get("Type") == "Fail" and states[fail].get("Error") == error, f"{fail}: {states[fail]}"

    amap = states["ApplyBatches"]
    assert amap.get("Type") == "Map"
    processor = amap.get("ItemProcessor", {})
    assert processor.get("ProcessorConfig") == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, (
        f"ApplyBatches must be a DISTRIBUTED map of STANDARD child executions: {processor.get('ProcessorConfig')}"
    )
    assert amap.get("ItemReader") == {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSONL"},
        "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.planKey"},
    }, f"ItemReader: {amap.get('ItemReader')}"
    batcher = amap.get("ItemBatcher", {})
    assert set(batcher) == {"MaxItemsPerBatch", "BatchInput"}, f"ItemBatcher: {batcher}"
    assert batcher["BatchInput"] == {"runId.$": "$.runId", "bucket.$": "$.bucket", "asOf.$": "$.asOf"}, (
        f"BatchInput: {batcher['BatchInput']}"
    )
    for key, value, param in (
        ("MaxItemsPerBatch", batcher["MaxItemsPerBatch"], "ReconcileBatchSize"),
        ("MaxConcurrency", amap.get("MaxConcurrency"), "ReconcileMaxConcurrency"),
        ("ToleratedFailurePercentage", amap.get("ToleratedFailurePercentage"), "ReconcileToleratedFailurePercentage"),
    ):
        assert type(value) is int, f"{key} must be a JSON number, is {value!r}"
        assert value == params[param]["Default"], f"{key} {value} must come from {param}"
    # ...from the parameter, not a number that happens to equal its default:
    other = state_machine.definition_of(template, {
        "ReconcileBatchSize": 7, "ReconcileMaxConcurrency": 3, "ReconcileToleratedFailurePercentage": 9,
    })["States"]["ApplyBatches"]
    assert (other["ItemBatcher"]["MaxItemsPerBatch"], other["MaxConcurrency"], other["ToleratedFailurePercentage"]) == (
        7, 3, 9,
    ), "MaxItemsPerBatch, MaxConcurrency and ToleratedFailurePercentage must be ${parameters}"
    assert amap.get("ResultPath") == "$.batches", f"the batch answers go to $.batches: {amap.get('ResultPath')}"
    catch = amap.get("Catch", [])
    assert len(catch) == 1 and catch[0].get("ErrorEquals") == ["States.ALL"] and catch[0].get("Next") == "MapFailed", (
        f"the map catches States.ALL into MapFailed: {catch}"
    )
    assert amap.get("Next") == "Summary"
    assert processor.get("StartAt") == "ApplyBatch" and list(processor.get("States", {})) == ["ApplyBatch"]
    batch = processor["States"]["ApplyBatch"]
    _invokes_function(batch, BATCH_PAYLOAD, "ApplyBatch")
    assert batch.get("End") is True
    incomplete = [r for r in batch.get("Retry", []) if "Lcm.ReconcileBatchIncomplete" in r.get("ErrorEquals", [])]
    assert incomplete == [{
        "ErrorEquals": ["Lcm.ReconcileBatchIncomplete", "Lcm.TransientFailure"],
        "IntervalSeconds": 30, "BackoffRate": 2, "MaxAttempts": 3,
    }], f"ApplyBatch must retry Lcm.ReconcileBatchIncomplete: {batch.get('Retry')}"
    assert LAMBDA_ERRORS <= _retried_errors(batch), f"ApplyBatch retries {_retried_errors(batch)}"
    assert "Catch" not in batch, "a failed batch fails its child execution (counted against the tolerance)"

    summary = states["Summary"]
    _invokes_function(summary, SUMMARY_PAYLOAD, "Summary")
    assert summary.get("Next") == "Converged"
    assert states["Converged"] == {
        "Type": "Choice",
        "Choices": [{"Variable": "$.failed", "NumericGreaterThan": 0, "Next": "ReconcileIncomplete"}],
        "Default": "Done",
    }, f"Converged: {states['Converged']}"
    assert states["Done"] == {"Type": "Succeed"}


ALL_CHECKS = [
    check_function_build,
    check_api_requires_iam,
    check_api_throttled,
    check_secret_scoped,
    check_retained,
    check_event_rule,
    check_event_sources_trusted,
    check_ledger_table,
    check_ledger_least_privilege,
    check_queues_encrypted,
    check_on_failure_destination,
    check_no_wildcard_allow,
    check_switches_wired,
    check_alarms,
    check_operations,
    check_event_queue,
    check_pipe,
    check_reconcile_switch,
    check_reconcile_bucket,
    check_reconcile_function_s3,
    check_reconcile_state_machine_role,
    check_reconcile_schedule,
    check_reconcile_state_machine_operations,
    check_reconcile_definition,
]
