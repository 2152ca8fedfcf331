//! `yizhan validate FILE`: the upload's validation report, without a server.

use std::collections::HashMap;

use crate::cli::ValidateArgs;
use crate::import::{self, Format, ImportError};

/// Prints the report; returns whether the file is valid.
pub fn run(args: &ValidateArgs) -> anyhow::Result<bool> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let format = Format::from_path(&args.file);
    let mut result = import::parse(&bytes, format, args.crs, &HashMap::new());
    if let Ok(p) = &mut result {
        // The service's default zone: the calendar's days are days in Beijing.
        let today = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive();
        p.warnings
            .extend(import::hours_warnings(&p.stations, today));
    }
    let ok = result.is_ok();
    if args.json {
        let body = match &result {
            Ok(p) => {
                serde_json::json!({"valid": true, "count": p.stations.len(), "warnings": p.warnings})
            }
            Err(ImportError::Invalid(errors)) => {
                serde_json::json!({"valid": false, "status": 422, "errors": errors})
            }
            Err(e) => serde_json::json!({"valid": false, "status": 400, "detail": e.to_string()}),
        };
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(ok);
    }
    match result {
        Ok(p) => {
            println!(
                "{}: valid, {} station(s)",
                args.file.display(),
                p.stations.len()
            );
            for w in &p.warnings {
                println!("warning: {w}");
            }
        }
        Err(ImportError::Invalid(errors)) => {
            println!("{}: {} error(s)", args.file.display(), errors.len());
            println!(
                "{:>7}  {:>6}  {:<20}  {:<14}  message",
                "index", "line", "id", "field"
            );
            for e in &errors {
                let line = e.line.map(|l| l.to_string()).unwrap_or_else(|| "-".into());
                let id: String = e.id.as_deref().unwrap_or("-").chars().take(20).collect();
                println!(
                    "{:>7}  {:>6}  {:<20}  {:<14}  {}",
                    e.index, line, id, e.field, e.message
                );
            }
        }
        Err(e) => println!("{}: cannot be read: {e}", args.file.display()),
    }
    Ok(ok)
}
