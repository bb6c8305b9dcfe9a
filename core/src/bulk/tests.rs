use super::*;
use crate::event::parse_request;
use serde_json::json;

fn leaver(hr_id: &str, email: &str) -> Request {
    parse_request(
        &json!({"schemaVersion": "1", "eventId": format!("{hr_id}-{email}"),
        "lifecycle": "leaver", "worker": {"hrId": hr_id, "workEmail": email}}),
    )
    .unwrap()
}

#[test]
fn groups_keep_input_order_per_worker_and_start_in_order_of_first_item() {
    let items = vec![
        BulkItem::new(leaver("A", "a1@example.com")),
        BulkItem::new(leaver("B", "b@example.com")),
        BulkItem::new(Request::check(vec![])),
        BulkItem::new(leaver("A", "a2@example.com")),
        BulkItem::new(Request::check(vec![])),
        BulkItem::in_group(leaver("C", "c@example.com"), "A"),
    ];
    let groups: Vec<Vec<usize>> = into_groups(items)
        .into_iter()
        .map(|g| g.into_iter().map(|(i, _)| i).collect())
        .collect();
    // A's items (a host-named group joins the worker's), B, then each CHECK alone.
    assert_eq!(groups, vec![vec![0, 3, 5], vec![1], vec![2], vec![4]]);
}

#[test]
fn json_lines_name_every_bad_line_and_skip_blank_ones() {
    let good = json!({"schemaVersion": "1", "eventId": "e1", "lifecycle": "leaver",
        "worker": {"hrId": "E1", "workEmail": "x@example.com"}})
    .to_string();
    let text = format!("{good}\n\n  \n{{\"lifecycle\": \"joiner\"}}\n{good}\nnot json\n");
    let errors = parse_lines(&text).unwrap_err();
    assert_eq!(
        errors.iter().map(|e| e.line).collect::<Vec<_>>(),
        vec![4, 6]
    );
    assert!(
        errors[1]
            .to_string()
            .starts_with("line 6: (body): not valid JSON"),
        "{}",
        errors[1]
    );
    let ok = parse_lines(&format!("{good}\n\n{good}")).unwrap();
    assert_eq!(ok.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![1, 3]);
    assert!(parse_lines("").unwrap().is_empty());
}
