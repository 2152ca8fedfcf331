//! The messages a client reads, in its language: English is what the code writes; Chinese comes from one
//! catalogue ([`zh::CATALOGUE`]) of the English templates and their translations, applied to the finished text.
//!
//! Why after the fact, not at each call site: the messages are built in every layer (import rules, the domain,
//! the store, the handlers) and the layers below `api` know nothing of requests, so none of them can know the
//! client's language. Matching the finished English against its template keeps every layer as it is, and a
//! message missing from the catalogue still reads (in English) instead of failing. The completeness tests
//! (below and in tests/api/lang.rs) hold the catalogue to every template the code writes.

mod zh;

/// A client's language, from `Accept-Language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The preferred language of an `Accept-Language` value: Chinese when a `zh` or `zh-*` range has a higher
    /// weight than any English one (`*` and other languages fall back to English, the default).
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best = (Lang::En, -1.0f32);
        for (i, part) in header.split(',').enumerate() {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::Zh
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            // Equal weights: the first listed wins (a tiny positional penalty keeps the order).
            let q = q - i as f32 * 1e-4;
            if q > 0.0 && q > best.1 {
                best = (lang, q);
            }
        }
        best.0
    }

    /// `en` or `zh`, as `yizhan validate --lang` takes it.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "zh" | "zh-cn" | "zh-hans" => Some(Lang::Zh),
            _ => None,
        }
    }
}

/// `message` in `lang`: itself in English; in Chinese, the catalogue's translation of the template it matches,
/// with the template's holes (values, names, nested messages, themselves translated when they match) filled in.
/// A message that matches no template comes back unchanged.
pub fn tr(message: &str, lang: Lang) -> String {
    match lang {
        Lang::En => message.to_owned(),
        Lang::Zh => zh_of(message, 0).unwrap_or_else(|| message.to_owned()),
    }
}

/// The Chinese of an HTTP status's reason phrase (a problem's `title`).
pub fn title(status: u16, lang: Lang) -> Option<&'static str> {
    match lang {
        Lang::En => None,
        Lang::Zh => zh::TITLES
            .iter()
            .find(|(s, _)| *s == status)
            .map(|(_, t)| *t),
    }
}

/// Whether the catalogue has a template for `message` (the completeness tests' question).
pub fn has_zh(message: &str) -> bool {
    zh_of(message, 0).is_some()
}

fn zh_of(message: &str, depth: usize) -> Option<String> {
    if depth > 3 || message.is_empty() {
        return None;
    }
    // The most specific template first: the one with the most literal text that matches.
    let (zh, holes) = zh::CATALOGUE
        .iter()
        .filter_map(|(en, zh)| holes(en, message).map(|h| (literal_len(en), zh, h)))
        .max_by_key(|(len, _, _)| *len)
        .map(|(_, zh, h)| (zh, h))?;
    let holes: Vec<String> = holes
        .into_iter()
        .map(|h| zh_of(h, depth + 1).unwrap_or_else(|| h.to_owned()))
        .collect();
    Some(fill(zh, &holes))
}

fn literal_len(template: &str) -> usize {
    template.len() - 2 * template.matches("{}").count()
}

/// The texts in `message` where `template` has `{}`, or `None` when the literal parts do not match in order.
/// Each hole takes the shortest text after which the rest can still match, except the last, which runs to
/// where the template's tail starts at the end of the message.
fn holes<'m>(template: &str, message: &'m str) -> Option<Vec<&'m str>> {
    let parts: Vec<&str> = template.split("{}").collect();
    let (first, rest) = parts.split_first()?;
    let mut at = message.strip_prefix(first).map(|_| first.len())?;
    let Some((last, middle)) = rest.split_last() else {
        return (at == message.len()).then(Vec::new);
    };
    let mut out = Vec::with_capacity(rest.len());
    for lit in middle {
        let found = message.get(at..)?.find(lit)?;
        out.push(message.get(at..at + found)?);
        at += found + lit.len();
    }
    let tail_start = message.len().checked_sub(last.len())?;
    if tail_start < at || !message.ends_with(last) {
        return None;
    }
    out.push(message.get(at..tail_start)?);
    Some(out)
}

/// Puts `holes` into a translation: `{}` takes the next hole, `{N}` hole N (Chinese may need another order).
fn fill(template: &str, holes: &[String]) -> String {
    let mut out =
        String::with_capacity(template.len() + holes.iter().map(String::len).sum::<usize>());
    let mut next = 0;
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if after[..close].chars().all(|c| c.is_ascii_digit()) => {
                let i = if close == 0 {
                    next += 1;
                    next - 1
                } else {
                    after[..close].parse().unwrap_or(usize::MAX)
                };
                out.push_str(holes.get(i).map_or("", String::as_str));
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_heavier_of_zh_and_en() {
        for (h, want) in [
            ("zh", Lang::Zh),
            ("zh-CN", Lang::Zh),
            ("zh-Hans-CN,zh;q=0.9", Lang::Zh),
            ("en-US,en;q=0.9,zh;q=0.8", Lang::En),
            ("zh-CN,zh;q=0.9,en;q=0.8", Lang::Zh),
            ("fr", Lang::En),
            ("", Lang::En),
            ("*", Lang::En),
            ("en;q=0.5, zh-TW;q=0.7", Lang::Zh),
            ("zh;q=0", Lang::En),
        ] {
            assert_eq!(Lang::from_accept_language(h), want, "{h:?}");
        }
    }

    #[test]
    fn a_message_becomes_its_template_s_chinese_with_the_holes_kept() {
        let zh = tr(
            "longitude 216.4 is outside [-180, 180] (coordinates are [lon, lat])",
            Lang::Zh,
        );
        assert!(zh.contains("216.4") && zh.contains("经度"), "{zh}");
        assert_eq!(
            tr("no such template here", Lang::Zh),
            "no such template here"
        );
        assert_eq!(tr("anything", Lang::En), "anything");
    }

    #[test]
    fn nested_messages_are_translated_too() {
        let zh = tr(
            "bbox must be minLon,minLat,maxLon,maxLat with longitudes in [-180, 180], latitudes in [-90, 90] and minLat <= maxLat (not four numbers); got 1,2",
            Lang::Zh,
        );
        assert!(!zh.contains("not four numbers"), "{zh}");
        assert!(zh.contains("1,2"), "{zh}");
    }

    #[test]
    fn every_translation_is_chinese_and_keeps_every_hole() {
        for (en, zh) in zh::CATALOGUE {
            let n = en.matches("{}").count();
            let filled = fill(zh, &(0..n).map(|i| format!("<{i}>")).collect::<Vec<_>>());
            for i in 0..n {
                assert!(
                    filled.contains(&format!("<{i}>")),
                    "{en:?} → {zh:?} drops hole {i}"
                );
            }
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{en:?} → {zh:?} has no Chinese"
            );
            assert!(
                !en.contains("{}{}"),
                "{en:?}: two holes side by side cannot be told apart"
            );
        }
    }

    #[test]
    fn every_status_the_api_answers_has_a_chinese_title() {
        for s in [
            400, 401, 403, 404, 405, 408, 410, 413, 415, 422, 429, 500, 503, 507,
        ] {
            assert!(title(s, Lang::Zh).is_some(), "{s}");
        }
    }

    /// Every message template in the code that a client can read is in the catalogue: the string literals of
    /// the error-making modules, read from the source (format arguments become `{}`), each matched whole.
    #[test]
    fn the_catalogue_covers_every_message_the_code_writes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = vec![];
        for rel in SOURCES {
            let text = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
            assert!(!text.is_empty(), "{rel} is gone: update SOURCES");
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for (t, literal) in message_templates(code) {
                // A format string reads with its arguments filled; a plain literal (braces and all) as it is.
                let probe = t.replace("{}", "X");
                if !has_zh(&probe) && !has_zh(&literal) && !NOT_FOR_CLIENTS.contains(&t.as_str()) {
                    missing.push(format!("{rel}: {t:?}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "not in src/i18n/zh.rs:\n{}",
            missing.join("\n")
        );
    }

    /// The files whose messages reach clients (problem details, upload reports, `yizhan validate`).
    const SOURCES: &[&str] = &[
        "api/admin.rs",
        "api/attention.rs",
        "api/audit.rs",
        "api/auth.rs",
        "api/changes.rs",
        "api/export.rs",
        "api/insights.rs",
        "api/insights/reports.rs",
        "api/body.rs",
        "api/calendar.rs",
        "api/cases.rs",
        "api/confirm/mod.rs",
        "api/confirm/post.rs",
        "api/edit.rs",
        "api/error.rs",
        "api/guard.rs",
        "api/params.rs",
        "api/reports.rs",
        "domain/calendar.rs",
        "domain/hours.rs",
        "domain/kinds.rs",
        "domain/state.rs",
        "domain/station.rs",
        "geodesy/crs.rs",
        "import/csv.rs",
        "import/geojson.rs",
        "import/hours_check.rs",
        "import/mod.rs",
        "import/rules.rs",
        "live.rs",
        "live/scope.rs",
        "store/reports/mod.rs",
    ];

    /// Literals in those files that are not messages to a client (log lines, keys, examples, internal causes).
    const NOT_FOR_CLIENTS: &[&str] = &[
        // OpenAPI summaries and descriptions given to a macro.
        "Replace the whole dataset (全量替换)",
        "The upload becomes the dataset. Atomic: readers see the old dataset until the new one is durable and indexed, then the new one. Every problem is reported at once (422) and then nothing changes.",
        "Add or update stations by id (增量更新)",
        "Uploaded stations replace those with the same `id`; the others stay. Same validation and atomicity as PUT.",
        // English labels of the vocabularies (each has its own Chinese label beside it).
        "outdoor workers' station",
        "bank branch",
        "property agency",
        "gas station",
        "post office",
        "union centre",
        "drinking water",
        "phone charging",
        "first-aid kit",
        "discounted meals",
        // Log lines, keys, internal causes (sent as the generic internal-error detail, which is translated).
        "admin action done",
        // Audit-log details (data, read by admins in the audit panel, not problem details) and task names.
        "{} stations of {}",
        "from {} to {}",
        "report {} of {}: {}",
        "find report",
        "admin action refused",
        "list reports",
        "update report",
        "calendar replaced",
        "serialising the calendar: {}",
        "internal error",
        "{} task failed: {}",
        "the heavy pool is closed",
        "length limit",
        "syntax error",
        "Bearer realm=\"yizhan\"",
        "the calendar has 1 error(s); nothing was changed",
        "2026-10-09 is a Fri: a make-up workday (调休上班) must be a Saturday or Sunday",
        "could not store the report: {}",
        "its file no longer matches its content hash (it hashes to {})",
    ];

    /// String literals that read as English prose, with `{…}` format arguments as `{}` and `{{`/`}}` as braces.
    fn message_templates(code: &str) -> Vec<(String, String)> {
        let mut out = vec![];
        let b = code.as_bytes();
        let mut i = 0;
        while i < b.len() {
            // Skip line comments (doc comments included).
            if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            // Skip char literals such as '"'.
            if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
                i += 3;
                continue;
            }
            // Raw strings (r"…", r#"…"#) are examples and tests, not messages: skip them whole.
            if b[i] == b'r'
                && matches!(b.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                let from = i + 2 + hashes;
                i = b
                    .get(from..)
                    .and_then(|rest| {
                        rest.windows(close.len())
                            .position(|w| w == close.as_slice())
                    })
                    .map_or(b.len(), |p| from + p + close.len());
                continue;
            }
            if b[i] != b'"' {
                i += 1;
                continue;
            }
            // A byte string (b"…") is read past like any literal but is never a message.
            let bytes = i > 0 && b[i - 1] == b'b';
            let start = i + 1;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            let raw = code.get(start..i.min(code.len())).unwrap_or("");
            i += 1;
            if bytes {
                continue;
            }
            let ctx = code.get(start.saturating_sub(60)..start).unwrap_or("");
            if ctx.contains("tracing::") || ctx.contains("description") || ctx.contains("summary") {
                continue;
            }
            let s = unescape(raw);
            let words = s
                .split(' ')
                .filter(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_lowercase()))
                .count();
            if s.len() < 10 || words < 2 {
                continue;
            }
            out.push((placeholders(&s), s));
        }
        out
    }

    fn unescape(raw: &str) -> String {
        let mut s = String::new();
        let mut it = raw.chars().peekable();
        while let Some(c) = it.next() {
            if c != '\\' {
                s.push(c);
                continue;
            }
            match it.next() {
                Some('\n') => {
                    while it.peek().is_some_and(|c| c.is_whitespace()) {
                        it.next();
                    }
                }
                Some('n') => s.push('\n'),
                Some(o) => s.push(o),
                None => {}
            }
        }
        s
    }

    fn placeholders(s: &str) -> String {
        let mut out = String::new();
        let mut it = s.chars().peekable();
        while let Some(c) = it.next() {
            match (c, it.peek()) {
                ('{', Some('{')) => {
                    it.next();
                    out.push('{');
                }
                ('}', Some('}')) => {
                    it.next();
                    out.push('}');
                }
                ('{', _) => {
                    for c in it.by_ref() {
                        if c == '}' {
                            break;
                        }
                    }
                    out.push_str("{}");
                }
                _ => out.push(c),
            }
        }
        out
    }
}
