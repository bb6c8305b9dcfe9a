//! Reading `LCM_PRODUCT_SITES` and `LCM_BITBUCKET_WORKSPACE`: the product
//! credentials go only to sites under `atlassian.net` over HTTPS, unless
//! custom endpoints are allowed (an emulator, a proxy).

use super::SITE_DOMAIN;
use crate::config::{check_endpoint, Key, Problem};

/// Reads a comma-separated list of site URLs; each comes back without a
/// trailing slash. Empty entries are ignored; a repeated site is refused.
pub fn parse_sites(text: &str, allow_custom: bool) -> Result<Vec<String>, Problem> {
    let mut sites: Vec<String> = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let site = parse_site(entry, allow_custom)?;
        if sites.iter().any(|s| s.eq_ignore_ascii_case(&site)) {
            return Err(format!("lists `{site}` twice").into());
        }
        sites.push(site);
    }
    Ok(sites)
}

/// One site: the shape every endpoint must have (absolute, no credentials,
/// no query), then Atlassian's: `https://<name>.atlassian.net`, no port, no path.
fn parse_site(entry: &str, allow_custom: bool) -> Result<String, Problem> {
    let site = check_endpoint(entry, true).map_err(|p| {
        Problem::new(format!("has `{entry}`, which is not a site URL: "))
            .text(p.render(crate::config::Spelling::Env))
    })?;
    let uri: http::Uri = site
        .parse()
        .map_err(|e| Problem::new(format!("has `{entry}`, not a URL ({e})")))?;
    let host = uri.host().unwrap_or_default().to_ascii_lowercase();
    let name = host
        .strip_suffix(SITE_DOMAIN)
        .and_then(|n| n.strip_suffix('.'));
    let is_atlassian = uri.scheme_str() == Some("https")
        && name.is_some_and(|n| !n.is_empty())
        && uri.port().is_none()
        && matches!(uri.path(), "" | "/");
    if !is_atlassian && !allow_custom {
        return Err(Problem::new(format!(
            "has `{entry}`, not a product site like https://<name>.{SITE_DOMAIN}; to send the product token to another host (an emulator, a proxy) set "
        ))
        .assignment(Key::AllowCustomEndpoints, "true"));
    }
    Ok(site)
}

/// Reads a Bitbucket workspace slug (its id in URLs): letters, digits, `-`
/// and `_`, so it is one path segment as it stands.
pub fn parse_workspace(text: &str) -> Result<String, Problem> {
    let valid = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(text.to_string())
    } else {
        Err(format!("is `{text}`, not a workspace slug (letters, digits, `-` or `_`)").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Spelling;

    fn refused(text: &str, allow_custom: bool) -> String {
        parse_sites(text, allow_custom)
            .expect_err(text)
            .render(Spelling::Env)
    }

    #[test]
    fn atlassian_sites_are_read_and_trimmed() {
        assert_eq!(
            parse_sites(
                " https://acme.atlassian.net/ , https://Acme-Eu.atlassian.net,",
                false
            )
            .unwrap(),
            [
                "https://acme.atlassian.net",
                "https://Acme-Eu.atlassian.net"
            ]
        );
        assert!(parse_sites("", false).unwrap().is_empty());
    }

    #[test]
    fn anything_else_needs_custom_endpoints() {
        for bad in [
            "http://acme.atlassian.net",
            "https://acme.atlassian.net:8443",
            "https://acme.atlassian.net/wiki",
            "https://atlassian.net",
            "https://acme.atlassian.net.evil.example",
            "https://evilatlassian.net",
            "http://127.0.0.1:9/site/acme",
        ] {
            let e = refused(bad, false);
            assert!(e.contains("LCM_ALLOW_CUSTOM_ENDPOINTS=true"), "{bad}: {e}");
            assert!(e.contains(bad), "{bad}: {e}");
        }
        assert_eq!(
            parse_sites("http://127.0.0.1:9/site/acme/", true).unwrap(),
            ["http://127.0.0.1:9/site/acme"]
        );
    }

    #[test]
    fn malformed_sites_are_refused_even_with_custom_endpoints() {
        for (bad, why) in [
            ("acme.atlassian.net", "absolute URL"),
            ("https://bot:tok@acme.atlassian.net", "credentials"),
            ("https://acme.atlassian.net/?x=1", "query"),
            ("ftp://acme.atlassian.net", "neither http nor https"),
            (
                "https://acme.atlassian.net,https://acme.atlassian.net/",
                "twice",
            ),
        ] {
            let e = refused(bad, true);
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn workspace_slugs() {
        assert_eq!(parse_workspace("acme-eng_2").unwrap(), "acme-eng_2");
        for bad in ["", "a/b", "..", "a b", "{uuid}"] {
            assert!(parse_workspace(bad).is_err(), "{bad}");
        }
    }
}
