//! Reading one raw value by its [`Kind`], and the URL checks that keep
//! credentials on Atlassian's host.

use super::error::Problem;
use super::raw::RawValue;
use super::settings::{Key, Kind};
use super::ATLASSIAN_HOST;
use crate::ids::{OrgId, ScimDirectoryId};
use crate::reconcile::DeprovisionCap;
use crate::secret::Secret;

/// A value read by its kind.
#[derive(Debug, Clone)]
pub(super) enum Value {
    Flag(bool),
    Count(u64),
    Text(String),
    Secret(Secret),
    Groups(Vec<String>),
    Endpoint(String),
    ScimUrl(String, ScimDirectoryId),
    OrgId(OrgId),
    Cap(DeprovisionCap),
    Choice(&'static str),
    Sites(Vec<String>),
}

/// Reads `raw` as `kind`. `allow_custom` is the one setting others depend on:
/// whether URLs may point away from Atlassian.
pub(super) fn parse(kind: Kind, raw: &RawValue, allow_custom: bool) -> Result<Value, Problem> {
    match kind {
        Kind::Flag => flag(raw).map(Value::Flag),
        Kind::Count { min, max } => count(raw, min, max).map(Value::Count),
        Kind::Text => Ok(Value::Text(text(raw))),
        Kind::Secret => secret(raw).map(Value::Secret),
        Kind::Groups => groups(raw).map(Value::Groups),
        Kind::Endpoint => check_endpoint(&text(raw), allow_custom).map(Value::Endpoint),
        Kind::ScimUrl => {
            parse_scim_url(&text(raw), allow_custom).map(|(url, id)| Value::ScimUrl(url, id))
        }
        Kind::OrgId => org_id(raw).map(Value::OrgId),
        Kind::CountOrPercent => cap(raw).map(Value::Cap),
        Kind::Choice(words) => choice(raw, words).map(Value::Choice),
        Kind::Sites => crate::products::parse_sites(&text(raw), allow_custom).map(Value::Sites),
        Kind::Slug => crate::products::parse_workspace(&text(raw)).map(Value::Text),
        Kind::BitbucketEndpoint => {
            check_endpoint_on(&text(raw), allow_custom, crate::products::BITBUCKET_HOST)
                .map(Value::Endpoint)
        }
    }
}

fn text(raw: &RawValue) -> String {
    match raw {
        RawValue::Text(s) => s.trim().to_string(),
        RawValue::Json(j) => j.to_string(),
    }
}

fn flag(raw: &RawValue) -> Result<bool, Problem> {
    match raw {
        RawValue::Json(serde_json::Value::Bool(b)) => Ok(*b),
        RawValue::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" | "" => Ok(false),
            _ => Err(format!("must be true or false, not `{s}`").into()),
        },
        RawValue::Json(_) => Err("must be true or false".into()),
    }
}

/// Reads a whole number in `min..=max`; hosts use it for their own settings.
pub fn count(raw: &RawValue, min: u64, max: u64) -> Result<u64, Problem> {
    let n = match raw {
        RawValue::Json(serde_json::Value::Number(n)) => n.as_u64(),
        RawValue::Text(s) => s.trim().parse().ok(),
        RawValue::Json(_) => None,
    };
    match n {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        Some(n) => Err(format!("must be between {min} and {max}, not {n}").into()),
        None => Err(match raw {
            RawValue::Text(s) => format!("must be a whole number, not `{s}`").into(),
            RawValue::Json(_) => "must be a whole number".into(),
        }),
    }
}

fn secret(raw: &RawValue) -> Result<Secret, Problem> {
    match raw {
        RawValue::Text(s) => {
            let s = Secret::new(s.trim());
            if s.is_blank() {
                Err("is empty".into())
            } else {
                Ok(s)
            }
        }
        RawValue::Json(_) => Err("must be a string".into()),
    }
}

fn groups(raw: &RawValue) -> Result<Vec<String>, Problem> {
    match raw {
        RawValue::Text(s) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_string)
            .collect()),
        RawValue::Json(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| "must list group names as strings".into()),
        RawValue::Json(_) => Err("must be a list of group names".into()),
    }
}

fn cap(raw: &RawValue) -> Result<DeprovisionCap, Problem> {
    let given = match raw {
        RawValue::Json(serde_json::Value::String(s)) => s.clone(),
        _ => text(raw),
    };
    DeprovisionCap::parse(&given).map_err(|_| {
        format!("must be a count (12) or a percentage of the roster (5%), not `{given}`").into()
    })
}

fn choice(raw: &RawValue, words: &'static [&'static str]) -> Result<&'static str, Problem> {
    let given = match raw {
        RawValue::Json(serde_json::Value::String(s)) => s.trim().to_string(),
        _ => text(raw),
    };
    words
        .iter()
        .find(|w| w.eq_ignore_ascii_case(&given))
        .copied()
        .ok_or_else(|| format!("must be {}, not `{given}`", words.join(" or ")).into())
}

fn org_id(raw: &RawValue) -> Result<OrgId, Problem> {
    let s = text(raw);
    let valid = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(OrgId::new(s))
    } else {
        Err("must be letters, digits, `-` or `_`".into())
    }
}

/// Splits `https://api.atlassian.com/scim/directory/{id}` into the base URL and
/// the SCIM directory id.
pub fn parse_scim_url(url: &str, allow_custom: bool) -> Result<(String, ScimDirectoryId), Problem> {
    let base = check_endpoint(url, allow_custom)?;
    let uri: http::Uri = base
        .parse()
        .map_err(|e| Problem::new(format!("is not a URL ({e})")))?;
    let segments: Vec<&str> = uri.path().split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [.., "scim", "directory", id] => Ok((base.clone(), ScimDirectoryId::new(*id))),
        _ => Err("must end in /scim/directory/<directory id>, like https://api.atlassian.com/scim/directory/abcdeg1234".into()),
    }
}

/// Checks that a base URL is Atlassian's over HTTPS, or that custom endpoints
/// were explicitly allowed; returns it without a trailing slash. Parsed with
/// `http::Uri` (already needed for requests) rather than a full URL crate,
/// whose Unicode tables would triple the size of the WebAssembly build.
pub fn check_endpoint(url: &str, allow_custom: bool) -> Result<String, Problem> {
    check_endpoint_on(url, allow_custom, ATLASSIAN_HOST)
}

/// [`check_endpoint`] for an API on another of Atlassian's hosts (`host`).
pub fn check_endpoint_on(url: &str, allow_custom: bool, host: &str) -> Result<String, Problem> {
    let trimmed = url.trim();
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|e| Problem::new(format!("is `{url}`, not a URL ({e})")))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(format!("is `{url}`, not an absolute URL like https://{host}/...").into());
    };
    if authority.as_str().contains('@') {
        return Err("must not contain credentials".into());
    }
    if uri.query().is_some() {
        return Err("must not carry a query".into());
    }
    let is_atlassian = scheme == "https"
        && authority.host().eq_ignore_ascii_case(host)
        && authority.port().is_none();
    if !is_atlassian {
        if !allow_custom {
            return Err(Problem::new(format!(
                "is `{url}`, not https://{host}; to send credentials to another host (an emulator, a proxy) set "
            ))
            .assignment(Key::AllowCustomEndpoints, "true"));
        }
        if !matches!(scheme, "http" | "https") {
            return Err(format!("is `{url}`, which is neither http nor https").into());
        }
    }
    Ok(trimmed.trim_end_matches('/').to_string())
}
