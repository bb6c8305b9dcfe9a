use super::*;

fn env(pairs: &[(&str, &str)]) -> RawConfig {
    RawConfig::from_vars(pairs.iter().copied())
}

fn json(value: serde_json::Value, source: Source) -> Result<Config, ConfigError> {
    Config::from_raw(&RawConfig::from_json(&value, source).unwrap())
}

const GOOD: [(&str, &str); 4] = [
    (
        "LCM_SCIM_URL",
        "https://api.atlassian.com/scim/directory/abcdeg1234",
    ),
    ("LCM_SCIM_TOKEN", "scim-secret-value"),
    ("LCM_ADMIN_API_KEY", "admin-secret-value"),
    ("LCM_SCIM_ORGANIZATION_ID", "org-1"),
];

#[test]
fn minimal_env_config_with_defaults() {
    let c = Config::from_raw(&env(&GOOD)).unwrap();
    assert_eq!(c.credentials().scim_directory_id().as_str(), "abcdeg1234");
    assert_eq!(c.endpoints().admin_base_url(), DEFAULT_ADMIN_BASE_URL);
    assert_eq!(c.endpoints().api_base_url(), DEFAULT_API_BASE_URL);
    assert!(!c.safety().allow_delete());
    assert_eq!(c.safety().max_removals(), 25);
    assert_eq!(c.credentials().org_id().as_str(), "org-1");
}

#[test]
fn missing_fields_are_all_named() {
    let e = Config::from_raw(&env(&[])).unwrap_err();
    let fields: Vec<_> = e.errors.iter().map(|f| f.field(Spelling::Env)).collect();
    for f in [
        "LCM_SCIM_URL",
        "LCM_SCIM_TOKEN",
        "LCM_ADMIN_API_KEY",
        "LCM_SCIM_ORGANIZATION_ID",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
}

#[test]
fn custom_hosts_need_opt_in() {
    let mut pairs = GOOD.to_vec();
    pairs[0] = ("LCM_SCIM_URL", "http://127.0.0.1:9000/scim/directory/d1");
    let e = Config::from_raw(&env(&pairs)).unwrap_err();
    assert!(
        e.to_string().contains("LCM_ALLOW_CUSTOM_ENDPOINTS=true"),
        "{e}"
    );
    pairs.push(("LCM_ALLOW_CUSTOM_ENDPOINTS", "true"));
    pairs.push(("LCM_ADMIN_BASE_URL", "http://127.0.0.1:9000/admin/"));
    let c = Config::from_raw(&env(&pairs)).unwrap();
    assert_eq!(c.credentials().scim_directory_id().as_str(), "d1");
    assert_eq!(
        c.endpoints().admin_base_url(),
        "http://127.0.0.1:9000/admin"
    );
}

#[test]
fn admin_base_on_other_host_refused_without_opt_in() {
    let mut pairs = GOOD.to_vec();
    pairs.push(("LCM_ADMIN_BASE_URL", "https://evil.example.com/admin"));
    let e = Config::from_raw(&env(&pairs)).unwrap_err();
    assert_eq!(e.errors[0].field(Spelling::Env), "LCM_ADMIN_BASE_URL");
}

#[test]
fn scim_url_shapes() {
    assert!(parse_scim_url("https://api.atlassian.com/scim/directory/", false).is_err());
    assert!(parse_scim_url("https://api.atlassian.com/admin/v1", false).is_err());
    assert!(parse_scim_url("http://api.atlassian.com/scim/directory/x", false).is_err());
    assert!(parse_scim_url("https://user:pw@api.atlassian.com/scim/directory/x", false).is_err());
    let (base, id) = parse_scim_url("https://api.atlassian.com/scim/directory/x1/", false).unwrap();
    assert_eq!(
        (base.as_str(), id.as_str()),
        ("https://api.atlassian.com/scim/directory/x1", "x1")
    );
}

#[test]
fn json_config_accepts_both_spellings_and_refuses_unknown_keys() {
    let v = serde_json::json!({
        "scim_url": "https://api.atlassian.com/scim/directory/abc",
        "scimToken": "t", "admin_api_key": "k", "scimOrganizationId": "o",
        "protectedGroups": ["org-admins"], "maxRemovals": 3, "allowDelete": true
    });
    let c = json(v, Source::ConfigFile).unwrap();
    assert_eq!(c.safety().protected_groups(), ["org-admins"]);
    assert_eq!(c.safety().max_removals(), 3);
    assert!(c.safety().allow_delete());
    let e = json(serde_json::json!({"scim_tokn": "x"}), Source::Secret).unwrap_err();
    assert!(e.to_string().contains("scim_tokn"), "{e}");
    assert!(RawConfig::from_json(&serde_json::json!([1]), Source::Secret).is_err());
}

#[test]
fn bad_values_are_named_and_secrets_never_shown() {
    let mut pairs = GOOD.to_vec();
    pairs.push(("LCM_ALLOW_DELETE", "perhaps"));
    pairs.push(("LCM_MAX_REMOVALS", "many"));
    let e = Config::from_raw(&env(&pairs)).unwrap_err();
    let s = e.to_string();
    assert!(
        s.contains("LCM_ALLOW_DELETE") && s.contains("LCM_MAX_REMOVALS"),
        "{s}"
    );
    let c = Config::from_raw(&env(&GOOD)).unwrap();
    let dbg = format!("{c:?} {:?}", env(&GOOD));
    assert!(
        !dbg.contains("scim-secret-value") && !dbg.contains("admin-secret-value"),
        "{dbg}"
    );
}

#[test]
fn protected_groups_from_comma_list_and_product_pair() {
    let mut pairs = GOOD.to_vec();
    pairs.push(("LCM_PROTECTED_GROUPS", "org-admins, site-admins ,"));
    pairs.push(("LCM_PRODUCT_TOKEN", "p"));
    let e = Config::from_raw(&env(&pairs)).unwrap_err();
    assert!(e.to_string().contains("LCM_PRODUCT_USER"));
    pairs.push(("LCM_PRODUCT_USER", "bot@example.com"));
    let c = Config::from_raw(&env(&pairs)).unwrap();
    assert_eq!(c.safety().protected_groups(), ["org-admins", "site-admins"]);
}

#[test]
fn key_spellings() {
    assert_eq!(Key::OrganizationId.env(), "LCM_SCIM_ORGANIZATION_ID");
    assert_eq!(Key::OrganizationId.camel(), "scimOrganizationId");
    assert_eq!(Key::lookup("adminApiKey"), Some(Key::AdminApiKey));
}

#[test]
fn an_unknown_key_and_every_bad_value_are_named_at_once() {
    let e = json(
        serde_json::json!({
            "scim_url": "https://api.atlassian.com/scim/directory/abc",
            "scim_tokn": "t", "admin_api_key": "k", "scim_organization_id": "o",
            "allow_delete": "perhaps", "concurrency": 99
        }),
        Source::ConfigFile,
    )
    .unwrap_err();
    let fields: Vec<_> = e.errors.iter().map(|f| f.field(Spelling::Env)).collect();
    assert_eq!(
        fields,
        ["scim_tokn", "LCM_SCIM_TOKEN", "allow_delete", "concurrency"],
        "{e}"
    );
    assert_eq!(e.errors[0].key(), None);
    assert_eq!(e.errors[2].source(), Some(Source::ConfigFile));
    assert_eq!(
        e.errors[1].source(),
        None,
        "a missing setting has no source"
    );
}

#[test]
fn each_host_spells_the_setting_its_users_know() {
    let missing = Config::from_raw(&RawConfig::default()).unwrap_err();
    let token = |e: &ConfigError| {
        e.errors
            .iter()
            .find(|f| f.key() == Some(Key::ScimToken))
            .cloned()
            .unwrap()
    };
    let shell = token(&missing);
    assert_eq!(shell.field(Spelling::Env), "LCM_SCIM_TOKEN");
    assert!(shell
        .message(Spelling::Env)
        .starts_with("`LCM_SCIM_TOKEN` is required"));
    assert_eq!(shell.field(Spelling::Snake), "scim_token");

    let js = json(
        serde_json::json!({
            "scimUrl": "http://127.0.0.1:9/scim/directory/d", "scimToken": " ",
            "adminApiKey": "k", "scimOrganizationId": "o", "productToken": "p"
        }),
        Source::JavaScript,
    )
    .unwrap_err();
    let messages = js.messages(Spelling::Camel).join("\n");
    assert_eq!(token(&js).field(Spelling::Camel), "scimToken");
    for name in [
        "`scimUrl`",
        "`allowCustomEndpoints: true`",
        "`scimToken` is empty",
        "`productUser`",
    ] {
        assert!(messages.contains(name), "{name} not in {messages}");
    }
    assert!(!messages.contains("LCM_"), "{messages}");

    let file = json(serde_json::json!({"scim_token": ""}), Source::ConfigFile).unwrap_err();
    assert_eq!(
        token(&file).message(Spelling::Env),
        "`scim_token` in the config file is empty"
    );
    let secret = json(serde_json::json!({"allowDelete": 2}), Source::Secret).unwrap_err();
    assert!(
        secret
            .to_string()
            .contains("`allow_delete` in the secret must be true or false"),
        "{secret}"
    );
}

#[test]
fn the_table_is_in_key_order_and_its_spellings_agree() {
    for (i, s) in SETTINGS.iter().enumerate() {
        assert_eq!(s.key as usize, i, "{:?} is out of order", s.key);
        assert_eq!(s.env, format!("LCM_{}", s.snake.to_ascii_uppercase()));
        let camel: String = s
            .snake
            .split('_')
            .enumerate()
            .map(|(i, w)| {
                if i == 0 {
                    w.to_string()
                } else {
                    w[..1].to_ascii_uppercase() + &w[1..]
                }
            })
            .collect();
        assert_eq!(s.camel, camel);
    }
}

#[test]
fn defaults_come_from_the_table() {
    for s in &SETTINGS {
        if let Presence::Default(text) = s.presence {
            let parsed = parse::parse(s.kind, &RawValue::Text(text.into()), false);
            assert!(parsed.is_ok(), "the default of {} does not read", s.env);
        }
    }
    let c = Config::from_raw(&env(&GOOD)).unwrap();
    let given: Vec<(&str, &str)> = SETTINGS
        .iter()
        .filter_map(|s| match s.presence {
            Presence::Default(text) => Some((s.env, text)),
            _ => None,
        })
        .chain(GOOD)
        .collect();
    let explicit = Config::from_raw(&env(&given)).unwrap();
    assert_eq!(c.safety(), explicit.safety());
    assert_eq!(c.endpoints(), explicit.endpoints());
    assert_eq!(c.limits(), explicit.limits());
    assert_eq!(c.limits().request_timeout(), Duration::from_millis(30_000));
}

#[test]
fn the_readme_table_lists_every_setting_with_the_table_default() {
    let readme = include_str!("../../../README.md");
    for s in &SETTINGS {
        let row = readme
            .lines()
            .find(|l| {
                l.starts_with("| `LCM_")
                    && l.split('|')
                        .nth(1)
                        .unwrap()
                        .contains(&format!("`{}`", s.env))
            })
            .unwrap_or_else(|| panic!("{} is not in the README's table", s.env));
        let default = row.trim_end_matches('|').rsplit('|').next().unwrap().trim();
        let expected = match s.presence {
            Presence::Required => "required".to_string(),
            Presence::Optional => "none".to_string(),
            Presence::Default(text) => format!("`{text}`"),
        };
        assert_eq!(default, expected, "README default of {}", s.env);
    }
}

#[test]
fn reconcile_settings_read_and_name_themselves_when_bad() {
    let c = Config::from_raw(&env(&GOOD)).unwrap();
    assert_eq!(c.safety().managed_groups(), None);
    assert_eq!(c.safety().max_deprovisions().limit(200), 10, "5 % of 200");
    assert_eq!(c.safety().orphans(), crate::reconcile::OrphanPolicy::Report);

    let mut pairs = GOOD.to_vec();
    pairs.extend([
        ("LCM_MANAGED_GROUPS", "team-*, jira-software-users"),
        ("LCM_MAX_DEPROVISIONS", "12"),
        ("LCM_ORPHANS", "Deprovision"),
    ]);
    let c = Config::from_raw(&env(&pairs)).unwrap();
    assert_eq!(
        c.safety().managed_groups(),
        Some(&["team-*".to_string(), "jira-software-users".to_string()][..])
    );
    assert_eq!(c.safety().max_deprovisions().limit(1_000_000), 12);
    assert_eq!(
        c.safety().orphans(),
        crate::reconcile::OrphanPolicy::Deprovision
    );

    let mut pairs = GOOD.to_vec();
    pairs.extend([
        ("LCM_MANAGED_GROUPS", " "),
        ("LCM_MAX_DEPROVISIONS", "lots"),
        ("LCM_ORPHANS", "delete"),
    ]);
    let e = Config::from_raw(&env(&pairs)).unwrap_err();
    let text = e.to_string();
    assert_eq!(e.errors.len(), 2, "{text}");
    assert!(
        text.contains("`LCM_MAX_DEPROVISIONS` must be a count (12) or a percentage of the roster (5%), not `lots`"),
        "{text}"
    );
    assert!(
        text.contains("`LCM_ORPHANS` must be report or deprovision, not `delete`"),
        "{text}"
    );
    let mut pairs = GOOD.to_vec();
    pairs.push(("LCM_MANAGED_GROUPS", ""));
    let c = Config::from_raw(&env(&pairs)).unwrap();
    assert_eq!(c.safety().managed_groups(), None, "blank is unset");
}
