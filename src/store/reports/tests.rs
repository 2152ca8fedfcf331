use std::fs::OpenOptions;
use std::io::Write;

use super::*;

fn dir_backend(p: &std::path::Path) -> Arc<dyn Backend> {
    Arc::new(crate::store::backend::Dir::open(p).unwrap())
}

fn patch(status: Option<&str>, reply: Option<Option<&str>>) -> Patch {
    let status = status.map(|s| serde_json::json!(s));
    let reply = reply.map(|r| serde_json::json!(r));
    Patch::from_json(status.as_ref(), reply.as_ref()).unwrap()
}

fn steps(c: &Case) -> Vec<(Status, Option<String>)> {
    c.history
        .iter()
        .map(|e| (e.status, e.reply.clone()))
        .collect()
}

#[test]
fn a_case_moves_through_its_statuses_and_keeps_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let log = ReportLog::open(dir_backend(dir.path())).unwrap();
    let c = log.add("a", "closed", Some("门关着")).unwrap();
    assert_eq!((c.id.as_str(), c.status), ("r1", Status::Received));
    assert_eq!(log.open_count("a"), 1);
    let c2 = log
        .update("r1", &patch(Some("in_progress"), Some(Some("在处理"))))
        .unwrap();
    assert_eq!(c2.status, Status::InProgress);
    // unchanged: not recorded
    let same = log.update("r1", &patch(Some("in_progress"), None)).unwrap();
    assert_eq!(same, c2);
    let e = log
        .update("r1", &patch(Some("received"), None))
        .unwrap_err();
    assert!(matches!(e, ReportError::Transition { .. }), "{e}");
    assert!(e.to_string().contains("resolved, rejected"), "{e}");
    let c3 = log
        .update("r1", &patch(Some("resolved"), Some(Some("已恢复开放"))))
        .unwrap();
    assert_eq!(log.open_count("a"), 0);
    assert_eq!(c3.reply.as_deref(), Some("已恢复开放"));
    // reopen, then a reply-only change, then clearing the reply
    log.update("r1", &patch(Some("in_progress"), None)).unwrap();
    assert_eq!(log.open_count("a"), 1);
    log.update("r1", &patch(None, Some(Some("again")))).unwrap();
    let last = log
        .update("r1", &patch(Some("rejected"), Some(None)))
        .unwrap();
    let want = vec![
        (Status::Received, None),
        (Status::InProgress, Some("在处理".into())),
        (Status::Resolved, Some("已恢复开放".into())),
        (Status::InProgress, Some("已恢复开放".into())),
        (Status::InProgress, Some("again".into())),
        (Status::Rejected, None),
    ];
    assert_eq!(steps(&last), want);
    assert_eq!(last.updated_at, last.history[5].at);
    assert!(matches!(
        log.update("r9", &Patch::default()),
        Err(ReportError::UnknownCase(_))
    ));
    assert!(matches!(
        log.update("x", &Patch::default()),
        Err(ReportError::UnknownCase(_))
    ));
    // The rider's view, and the same after a restart.
    assert_eq!(
        log.by_ticket(&c.ticket.to_lowercase().replace('-', "")),
        Some(last.clone())
    );
    assert_eq!(log.by_ticket("0000-0000-0000"), None);
    let digest = log.open_digest();
    drop(log);
    let log = ReportLog::open(dir_backend(dir.path())).unwrap();
    assert_eq!(log.by_ticket(&c.ticket), Some(last));
    assert_eq!(log.open_digest(), digest);
}

#[test]
fn patches_are_checked() {
    let bad = |s: serde_json::Value, r: serde_json::Value| {
        Patch::from_json(Some(&s), Some(&r)).unwrap_err()
    };
    assert!(matches!(
        bad(serde_json::json!("open"), serde_json::json!(null)),
        ReportError::BadStatus(_)
    ));
    assert!(matches!(
        bad(serde_json::json!(3), serde_json::json!(null)),
        ReportError::BadStatus(_)
    ));
    let long = serde_json::json!("x".repeat(501));
    assert!(matches!(
        bad(serde_json::json!("resolved"), long),
        ReportError::ReplyTooLong(501)
    ));
    assert!(matches!(
        bad(serde_json::json!("resolved"), serde_json::json!(5)),
        ReportError::BadReply
    ));
    assert_eq!(patch(None, Some(Some("  "))).reply, Some(None));
}

#[test]
fn a_torn_line_is_cut_and_later_events_survive() {
    let dir = tempfile::tempdir().unwrap();
    let log = ReportLog::open(dir_backend(dir.path())).unwrap();
    log.add("a", "closed", None).unwrap();
    log.add("b", "wrong_hours", None).unwrap();
    let path = log.file_path().to_owned();
    drop(log);
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"{\"case\":\"r1\",\"stat").unwrap();
    let log = ReportLog::open(dir_backend(dir.path())).unwrap();
    log.update("r2", &patch(Some("resolved"), None)).unwrap();
    drop(log);
    let log = ReportLog::open(dir_backend(dir.path())).unwrap();
    let (total, all) = log.list(|_| true, 0, 10);
    assert_eq!(total, 2);
    assert_eq!(all[0].status, Status::Resolved);
    assert_eq!(all[1].status, Status::Received);
    assert!(!std::fs::read_to_string(&path).unwrap().contains("stat\n"));
}

#[test]
fn v1_lines_load_as_received_cases_with_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let now = crate::store::now_rfc3339();
    let body = format!(
        "{}\n{}\n",
        r#"{"id":"r1","station_id":"s","reason":"closed","comment":"门关着","created_at":"NOW","status":"open"}"#.replace("NOW", &now),
        r#"{"id":"r2","station_id":"s","reason":"moved","created_at":"NOW","status":"open"}"#.replace("NOW", &now),
    );
    std::fs::write(dir.path().join("reports.jsonl"), body).unwrap();
    let log = ReportLog::open(dir_backend(dir.path())).unwrap();
    let (_, cases) = log.list(|_| true, 0, 10);
    assert_eq!(cases.len(), 2);
    assert!(cases
        .iter()
        .all(|c| c.status == Status::Received && ticket::normalize(&c.ticket).is_some()));
    assert_eq!(cases[1].comment.as_deref(), Some("门关着"));
    assert_eq!(log.open_count("s"), 2);
    // The tickets were written down: the same after a restart.
    drop(log);
    let log = ReportLog::open(dir_backend(dir.path())).unwrap();
    assert_eq!(log.list(|_| true, 0, 10).1, cases);
    assert_eq!(log.add("s", "other", None).unwrap().id, "r3");
}

#[test]
fn compaction_prunes_old_and_long_closed_cases_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let now = crate::store::now_rfc3339();
    let line = |id: &str, at: &str, status: &str, updated: &str| {
        format!(
            r#"{{"id":"{id}","ticket":"","station_id":"s","reason":"closed","created_at":"{at}","status":"{status}","updated_at":"{updated}"}}"#
        )
    };
    let old = "2020-01-01T00:00:00.000Z";
    let body = [
        line("r1", old, "received", old),   // older than the retention
        line("r2", &now, "resolved", old),  // closed long ago (a stamp from the past)
        line("r3", &now, "resolved", &now), // closed recently: its rider can still read it
        line("r4", &now, "in_progress", &now),
        line("r7", old, "rejected", old), // the highest id, pruned: ids still go on from r8
    ]
    .join("\n")
        + "\n";
    std::fs::write(dir.path().join("reports.jsonl"), body).unwrap();
    let log = ReportLog::open(dir_backend(dir.path())).unwrap();
    let ids: Vec<String> = log
        .list(|_| true, 0, 10)
        .1
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, vec!["r4", "r3"]);
    assert_eq!(log.add("s", "moved", None).unwrap().id, "r8");
    drop(log);
    let log = ReportLog::open(dir_backend(dir.path())).unwrap();
    assert_eq!(log.add("s", "moved", None).unwrap().id, "r9");
    // Many changes: the file is compacted, and every case and its history survive it.
    let many = 2_100;
    for i in 0..many {
        let to = if i % 2 == 0 {
            "in_progress"
        } else {
            "resolved"
        };
        log.update("r9", &patch(Some(to), None)).unwrap();
    }
    let before = log.list(|_| true, 0, 10).1;
    let text = std::fs::read_to_string(log.file_path()).unwrap();
    assert!(
        text.lines().count() < many,
        "never compacted: {} lines",
        text.lines().count()
    );
    drop(log);
    let log = ReportLog::open(dir_backend(dir.path())).unwrap();
    let after = log.list(|_| true, 0, 10).1;
    assert_eq!(after, before);
    assert_eq!(after[0].history.len(), many + 1);
    assert_eq!(log.open_count("s"), 2);
}

#[test]
fn daily_caps_per_station_and_in_all() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        per_station_per_day: 2,
        per_day: 3,
        ..Limits::default()
    };
    let log = ReportLog::open_with(dir_backend(dir.path()), limits).unwrap();
    log.add("a", "closed", None).unwrap();
    log.add("a", "closed", None).unwrap();
    let e = log.add("a", "closed", None).unwrap_err();
    assert!(
        matches!(e, ReportError::DailyCap { what: "this station", retry_after, .. } if (1..=86_400).contains(&retry_after)),
        "{e}"
    );
    log.add("b", "closed", None).unwrap();
    let e = log.add("c", "closed", None).unwrap_err();
    assert!(
        matches!(
            e,
            ReportError::DailyCap {
                what: "the service",
                ..
            }
        ),
        "{e}"
    );
    // The counts survive a reopen, and changes do not count against them.
    let log = ReportLog::open_with(dir_backend(dir.path()), limits).unwrap();
    log.update("r1", &patch(Some("resolved"), None)).unwrap();
    assert!(log.add("c", "closed", None).is_err());
}

#[test]
fn a_full_log_refuses_reports_and_changes_and_stays_within_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_bytes: 2000,
        ..Limits::default()
    };
    let log = ReportLog::open_with(dir_backend(dir.path()), limits).unwrap();
    let mut stored = 0;
    let err = loop {
        match log.add("s", "other", Some(&"x".repeat(100))) {
            Ok(_) => stored += 1,
            Err(e) => break e,
        }
    };
    assert!(matches!(err, ReportError::Full(_)), "{err}");
    assert!(stored > 3);
    let e = log
        .update("r1", &patch(Some("resolved"), Some(Some(&"y".repeat(400)))))
        .unwrap_err();
    assert!(matches!(e, ReportError::Full(_)), "{e}");
    assert_eq!(
        log.list(|_| true, 0, 100).1.last().unwrap().status,
        Status::Received
    );
    let len = std::fs::metadata(log.file_path()).unwrap().len();
    assert!(len <= 2000, "{len}");
}

#[test]
fn attention_lists_stations_with_many_open_closed_reports() {
    let dir = tempfile::tempdir().unwrap();
    let log = ReportLog::open(dir_backend(dir.path())).unwrap();
    for s in ["a", "a", "a", "b", "b", "b", "b", "c", "c"] {
        log.add(s, "closed", None).unwrap();
    }
    log.add("c", "moved", None).unwrap();
    log.update("r1", &patch(Some("resolved"), None)).unwrap();
    assert_eq!(log.attention(3, 7), vec![("b".to_owned(), 4)]);
    assert_eq!(
        log.attention(2, 7),
        vec![
            ("b".to_owned(), 4),
            ("a".to_owned(), 2),
            ("c".to_owned(), 2)
        ]
    );
    let counts = log.open_counts();
    assert_eq!(
        (counts.get("a"), counts.get("c"), counts.stations()),
        (2, 3, 3)
    );
}
