//! The bound on one paged listing (SCIM `startIndex`/`count`, Admin cursors).
//! A listing that reaches it is an error, never a silently shortened answer:
//! acting on part of a group's members or of a search's matches would make
//! the engine decide on facts it never saw.

use super::response::ApiError;
use crate::report::ErrorCode;

/// How far one listing may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingCap {
    /// Pages read at most; a server that never ends a listing cannot loop us forever.
    pub max_pages: u32,
    /// Items gathered at most, whatever the page size.
    pub max_items: usize,
}

impl Default for ListingCap {
    /// 2,000 pages and 200,000 items: far beyond any search the engine makes
    /// (by e-mail, id or group name), so reaching it means the server misbehaves.
    fn default() -> Self {
        ListingCap {
            max_pages: 2_000,
            max_items: 200_000,
        }
    }
}

impl ListingCap {
    /// Checks a listing after `pages` pages holding `items` items, `more`
    /// telling whether the server offers another page. `what` names the listing.
    pub fn check(&self, what: &str, pages: u32, items: usize, more: bool) -> Result<(), ApiError> {
        let reached = if items > self.max_items {
            format!("more than {} items", self.max_items)
        } else if more && pages >= self.max_pages {
            format!("more than {} pages", self.max_pages)
        } else {
            return Ok(());
        };
        Err(ApiError {
            code: ErrorCode::UnexpectedResponse,
            status: None,
            message: format!(
                "the listing {what} has {reached}, the most one listing may have; \
                 refusing to act on part of it"
            ),
            attempts: pages,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_table() {
        let cap = ListingCap {
            max_pages: 3,
            max_items: 10,
        };
        #[rustfmt::skip]
        let cases = [
            ("under both", 2, 9, true, None),
            ("last page at the page cap", 3, 9, false, None),
            ("exactly the item cap, done", 1, 10, false, None),
            ("another page past the page cap", 3, 9, true, Some("more than 3 pages")),
            ("past the item cap", 1, 11, true, Some("more than 10 items")),
            ("past the item cap on the last page", 2, 11, false, Some("more than 10 items")),
        ];
        for (name, pages, items, more, want) in cases {
            let got = cap
                .check("/Users", pages, items, more)
                .err()
                .map(|e| e.message);
            match (got, want) {
                (None, None) => {}
                (Some(m), Some(w)) => assert!(m.contains(w) && m.contains("/Users"), "{name}: {m}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }
}
