//! Admin cursor paging, over more than one page: every item is gathered
//! exactly once, each page after the first is asked for with the cursor the
//! previous page handed back (in the body of a search, alone in the query of
//! a GET listing), the listing ends where the server says it does, and the
//! listing caps hold page by page.
//!
//! The client asks for 100 items a page and the demo org has far fewer, so
//! against the emulator a wrapper lowers the search `limit` on the way out
//! (the emulator honours a body's `limit` beside a cursor): the same cursors
//! the emulator mints, just more of them.

mod common;

use std::sync::{Arc, Mutex};

use atlassian_emulator::{Emulator, Seed};
use atlassian_lcm::admin::Admin;
use atlassian_lcm::clock::SystemClock;
use atlassian_lcm::http::{HttpClient, TransportError};
use atlassian_lcm::ids::AccountId;
use atlassian_lcm::native::{ReqwestClient, TokioSleep};
use atlassian_lcm::report::ErrorCode;
use atlassian_lcm::transport::{Host, ListingCap, Transport};
use atlassian_lcm::RunOptions;
use serde_json::{json, Value};

use common::*;

/// Items per page the wrapper makes the emulator answer with.
const PAGE: u64 = 2;

/// One search page as it crossed the wire: the body sent, the body answered.
type Exchange = (Value, Value);

/// Forwards to the emulator with every Admin search's `limit` set to
/// [`PAGE`], recording each search body and its answer.
fn small_pages(seen: Arc<Mutex<Vec<Exchange>>>) -> Arc<dyn HttpClient> {
    let inner: Arc<dyn HttpClient> = Arc::new(ReqwestClient::new().unwrap());
    atlassian_lcm::testing::client(move |req| {
        let (inner, seen) = (inner.clone(), seen.clone());
        async move {
            if !req.uri().path().ends_with("/search") {
                return inner.execute(req).await;
            }
            let (parts, body) = req.into_parts();
            let mut sent: Value =
                serde_json::from_slice(&body).map_err(|e| TransportError::Other(e.to_string()))?;
            sent["limit"] = json!(PAGE);
            let req = http::Request::from_parts(parts, sent.to_string().into_bytes());
            let resp = inner.execute(req).await?;
            let answer = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
            seen.lock().unwrap().push((sent, answer));
            Ok(resp)
        }
    })
}

fn transport(emu: &Emulator, http: Arc<dyn HttpClient>, cap: ListingCap) -> Transport {
    let host = Host {
        http,
        sleep: Arc::new(TokioSleep),
        clock: Arc::new(SystemClock),
    };
    Transport::new(host, Arc::new(config(emu, &[])), RunOptions::default()).with_listing_cap(cap)
}

fn cap(max_pages: u32, max_items: usize) -> ListingCap {
    ListingCap {
        max_pages,
        max_items,
    }
}

/// Every demo group name, `contractors` (SCIM-only, so absent from Admin) included.
fn demo_names() -> Vec<String> {
    Seed::demo().groups.into_iter().map(|g| g.name).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_search_follows_every_cursor_and_sees_each_group_once() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let t = transport(&emu, small_pages(seen.clone()), ListingCap::default());
    let found = Admin::new(&t).search_groups(&demo_names()).await.unwrap();

    let mut names: Vec<&str> = found.iter().map(|g| g.name.as_str()).collect();
    names.sort();
    let mut want: Vec<String> = Seed::demo()
        .groups
        .into_iter()
        .filter(|g| g.kind.in_admin())
        .map(|g| g.name)
        .collect();
    want.sort();
    assert_eq!(names, want, "every Admin group, each exactly once");
    let mut ids: Vec<String> = found.iter().map(|g| g.id.to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), found.len(), "a group came back twice: {found:?}");

    let pages = seen.lock().unwrap().clone();
    assert_eq!(pages.len(), 3, "six groups in pages of two: {pages:#?}");
    assert!(
        pages[0].0.get("cursor").is_none(),
        "the first page has no cursor"
    );
    for (n, pair) in pages.windows(2).enumerate() {
        let next = &pair[0].1["links"]["next"];
        assert!(
            next.is_string(),
            "page {} offers no next: {:?}",
            n + 1,
            pair[0].1
        );
        assert_eq!(
            &pair[1].0["cursor"],
            next,
            "page {} was not asked for with the previous page's cursor",
            n + 2
        );
    }
    assert!(
        pages[2].1["links"].get("next").is_none(),
        "the emulator ends the listing on page three"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_listing_caps_hold_page_by_page() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let names = demo_names();
    #[rustfmt::skip]
    let cases = [
        // (cap, pages asked for, error wanted)
        (cap(2, 100), 2, Some("more than 2 pages")),
        (cap(3, 100), 3, None),
        (cap(10, 5), 3, Some("more than 5 items")),
        (cap(10, 6), 3, None),
    ];
    for (cap, want_pages, want_error) in cases {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let t = transport(&emu, small_pages(seen.clone()), cap);
        let result = Admin::new(&t).search_groups(&names).await;
        let pages = seen.lock().unwrap().len();
        assert_eq!(pages, want_pages, "{cap:?}: pages asked for");
        match (result, want_error) {
            (Ok(found), None) => assert_eq!(found.len(), 6, "{cap:?}"),
            (Err(e), Some(want)) => {
                assert_eq!(e.code, ErrorCode::UnexpectedResponse, "{cap:?}");
                assert!(e.message.contains(want), "{cap:?}: {}", e.message);
            }
            (got, want) => panic!("{cap:?}: got {got:?}, want an error {want:?}"),
        }
    }
}

/// A scripted Admin server for a GET listing: the directories of page `n`
/// and the cursor to page `n + 1`, recording each request's query.
fn scripted_directories(queries: Arc<Mutex<Vec<String>>>) -> Arc<dyn HttpClient> {
    atlassian_lcm::testing::client(move |req| {
        let queries = queries.clone();
        async move {
            let query = req.uri().query().unwrap_or_default().to_string();
            queries.lock().unwrap().push(query.clone());
            let page = match query.as_str() {
                q if !q.contains("cursor=") => {
                    json!({"data": [{"directoryId": "d1"}, {"directoryId": "d2"}], "links": {"next": "page-2"}})
                }
                "cursor=page-2" => {
                    json!({"data": [{"directoryId": "d3"}], "links": {"next": "page-3"}})
                }
                "cursor=page-3" => {
                    json!({"data": [{"directoryId": "d4", "name": "Last"}], "links": {"self": "page-3"}})
                }
                other => json!({"data": [], "links": {"next": format!("unexpected {other}")}}),
            };
            Ok(http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(page.to_string().into_bytes())
                .unwrap())
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_get_listing_sends_the_cursor_alone_and_stops_at_the_last_page() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let queries = Arc::new(Mutex::new(Vec::new()));
    let t = transport(
        &emu,
        scripted_directories(queries.clone()),
        ListingCap::default(),
    );
    let account = AccountId::new("acc-1");
    let dirs = Admin::new(&t).directories(Some(&account)).await.unwrap();
    let ids: Vec<String> = dirs.iter().map(|d| d.directory_id.to_string()).collect();
    assert_eq!(
        ids,
        ["d1", "d2", "d3", "d4"],
        "every directory once, in order"
    );
    assert_eq!(
        *queries.lock().unwrap(),
        [
            "limit=100&accountId=acc-1",
            "cursor=page-2",
            "cursor=page-3"
        ],
        "with a cursor, the spec discards every other parameter"
    );

    let t = transport(&emu, scripted_directories(queries.clone()), cap(2, 100));
    let err = Admin::new(&t).directories(None).await.unwrap_err();
    assert!(err.message.contains("more than 2 pages"), "{}", err.message);
}
