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
    "LCM_ALLOW_CUSTOM_ENDPOINTS": "AllowCustomEndpoints",
    "LCM_ADMIN_BASE_URL": "AdminBaseUrl",
    "LCM_API_BASE_URL": "ApiBaseUrl",
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
    assert list(resources_of(transformed, "AWS::IAM::Role")) == ["FunctionRole"]
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


def check_event_rule(template: dict[str, Any]) -> None:
    rule_id, rule = one_resource(template, "AWS::Events::Rule")
    props = rule["Properties"]
    assert props.get("State", "ENABLED") == "ENABLED"
    fn_id, _fn = function(template)
    targets = props["Targets"]
    assert len(targets) == 1
    (target,) = targets
    assert ref_target(target["Arn"]) == fn_id
    retry = target.get("RetryPolicy", {})
    assert {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"} <= set(retry), "target needs a retry policy"
    dlq_id = _sqs_queue_id(template, target.get("DeadLetterConfig", {}).get("Arn"))
    # EventBridge may send to the DLQ only on behalf of this rule.
    allowed = False
    for policy in resources_of(template, "AWS::SQS::QueuePolicy").values():
        if dlq_id not in [ref_target(q) for q in policy["Properties"]["Queues"]]:
            continue
        for statement in as_list(policy["Properties"]["PolicyDocument"]["Statement"]):
            if statement["Effect"] != "Allow":
                continue
            assert statement.get("Principal") == {"Service": "events.amazonaws.com"}, statement
            source = statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn")
            assert ref_target(source) == rule_id, "DLQ policy must be scoped by aws:SourceArn to the rule"
            assert as_list(statement["Action"]) == ["sqs:SendMessage"]
            allowed = True
    assert allowed, f"no queue policy lets EventBridge send to {dlq_id}"
    # And the rule may invoke the function, only as itself.
    perms = [
        p for p in resources_of(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    assert len(perms) == 1 and ref_target(perms[0]["Properties"]["SourceArn"]) == rule_id


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


def check_no_wildcard_allow(template: dict[str, Any]) -> None:
    """No Allow statement anywhere grants a wildcard action on a wildcard resource;
    the function role uses `*` resources only for X-Ray, which has no resource ARNs."""
    for where, statement in statements(template):
        if statement.get("Effect") != "Allow" or "Resource" not in statement:
            continue
        actions = [str(a) for a in statement_values(statement, "Action")]
        resources = statement_values(statement, "Resource")
        assert not statement.get("NotAction") and not statement.get("NotResource"), f"{where}: no Not* in Allow"
        if any(r == "*" for r in resources):
            assert not any("*" in a for a in actions), f"{where}: wildcard action {actions} on '*'"
    for statement in function_role_statements(template):
        if "*" in as_list(statement["Resource"]):
            assert all(a.startswith("xray:") for a in as_list(statement["Action"])), statement
        else:
            assert not contains_wildcard(statement["Resource"]), statement


def check_switches_wired(template: dict[str, Any]) -> None:
    params = template["Parameters"]
    _fid, fn = function(template)
    env = fn["Properties"]["Environment"]["Variables"]
    for var, param in SWITCHES.items():
        assert env.get(var) == {"Ref": param}, f"{var} must be !Ref {param}, is {env.get(var)!r}"
        assert param in params, f"parameter {param} missing"
    for flag in ("AllowDelete", "DeleteAccounts", "DryRunOnly", "AllowCustomEndpoints"):
        assert params[flag].get("AllowedValues") == ["true", "false"], f"{flag} must be true/false"
    assert params["AllowDelete"]["Default"] == "false" and params["DeleteAccounts"]["Default"] == "false", (
        "deletion must be opt-in"
    )
    assert params["MaxRemovals"]["Type"] == "Number"


def check_alarms(template: dict[str, Any]) -> None:
    fn_id, _fn = function(template)
    alarms = list(resources_of(template, "AWS::CloudWatch::Alarm").values())

    def has(namespace: str, metric: str, dimension: str, target: str) -> bool:
        for alarm in alarms:
            p = alarm["Properties"]
            dims = [d for d in p.get("Dimensions", []) if isinstance(d, dict) and "Name" in d]
            if (p.get("Namespace"), p.get("MetricName")) != (namespace, metric):
                continue
            if not any(d["Name"] == dimension and ref_target(d["Value"]) == target for d in dims):
                continue
            if p.get("ComparisonOperator") == "GreaterThanThreshold" and p.get("Threshold") == 0:
                return True
        return False

    assert has("AWS/Lambda", "Errors", "FunctionName", fn_id), "no alarm on function errors"
    assert has("AWS/Lambda", "Throttles", "FunctionName", fn_id), "no alarm on function throttles"
    for queue_id in resources_of(template, "AWS::SQS::Queue"):
        assert has("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue_id), (
            f"no depth alarm on {queue_id}"
        )


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
]
