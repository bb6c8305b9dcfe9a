//! SCIM filters as Atlassian supports them: exactly one `attribute eq "value"`.
//!
//! Anything richer (`and`, `or`, `co`, `sw`, `pr`, other attributes) is refused with 400
//! `invalidFilter`, as Atlassian does, so a client that relies on more fails here first.

/// A parsed `attr eq "value"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EqFilter {
    /// The attribute as it was written (compare case-insensitively, per RFC 7644).
    pub attribute: String,
    pub value: String,
}

/// Parses `filter`, accepting only the attributes in `allowed`.
pub(crate) fn parse(filter: &str, allowed: &[&str]) -> Result<EqFilter, String> {
    let text = filter.trim();
    let (attribute, rest) = text
        .split_once(char::is_whitespace)
        .ok_or_else(|| format!("Unsupported filter [{filter}]: expected attribute eq \"value\""))?;
    let rest = rest.trim_start();
    let (op, rest) = rest
        .split_once(char::is_whitespace)
        .ok_or_else(|| format!("Unsupported filter [{filter}]: expected attribute eq \"value\""))?;
    if !op.eq_ignore_ascii_case("eq") {
        return Err(format!(
            "Unsupported filter operator [{op}]: only eq is supported"
        ));
    }
    let Some(known) = allowed.iter().find(|a| a.eq_ignore_ascii_case(attribute)) else {
        return Err(format!(
            "Unsupported filter attribute [{attribute}]: only {} can be filtered",
            allowed.join(", ")
        ));
    };
    let value = parse_quoted(rest.trim())
        .ok_or_else(|| format!("Unsupported filter [{filter}]: one quoted value expected"))?;
    Ok(EqFilter {
        attribute: known.to_string(),
        value,
    })
}

/// A JSON-style double-quoted string that makes up the whole input.
fn parse_quoted(text: &str) -> Option<String> {
    let inner = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return chars.as_str().trim().is_empty().then_some(out),
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERS: &[&str] = &["userName", "externalId"];

    #[test]
    fn accepts_one_eq() {
        let f = parse(r#"userName eq "ada@example.com""#, USERS).unwrap();
        assert_eq!(f.attribute, "userName");
        assert_eq!(f.value, "ada@example.com");
        let f = parse(r#"  externalid  EQ  "E \"1\""  "#, USERS).unwrap();
        assert_eq!(
            (f.attribute.as_str(), f.value.as_str()),
            ("externalId", "E \"1\"")
        );
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            r#"userName co "ada""#,
            r#"userName eq "a" and externalId eq "b""#,
            r#"emails.value eq "a@example.com""#,
            r#"userName eq ada"#,
            "userName pr",
            "",
        ] {
            assert!(parse(bad, USERS).is_err(), "{bad} accepted");
        }
    }
}
