//! `yizhan validate FILE`: the upload's validation report, without a server.

use std::collections::HashMap;

use crate::cli::ValidateArgs;
use crate::i18n::{tr, Lang};
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
    let lang = Lang::parse(&args.lang).unwrap_or_default();
    let zh = lang == Lang::Zh;
    translate(&mut result, lang);
    let ok = result.is_ok();
    if args.json {
        let body = match &result {
            Ok(p) => {
                serde_json::json!({"valid": true, "count": p.stations.len(), "warnings": p.warnings})
            }
            Err(ImportError::Invalid(errors)) => {
                serde_json::json!({"valid": false, "status": 422, "errors": errors})
            }
            Err(e) => {
                serde_json::json!({"valid": false, "status": 400, "detail": tr(&e.to_string(), lang)})
            }
        };
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(ok);
    }
    match result {
        Ok(p) => {
            let n = p.stations.len();
            match zh {
                true => println!("{}：有效，共 {n} 个站点", args.file.display()),
                false => println!("{}: valid, {n} station(s)", args.file.display()),
            }
            for w in &p.warnings {
                println!("{}: {w}", if zh { "警告" } else { "warning" });
            }
        }
        Err(ImportError::Invalid(errors)) => {
            match zh {
                true => println!("{}：{} 处错误", args.file.display(), errors.len()),
                false => println!("{}: {} error(s)", args.file.display(), errors.len()),
            }
            println!(
                "{:>7}  {:>6}  {:<20}  {:<14}  {}",
                "index",
                "line",
                "id",
                "field",
                if zh { "说明" } else { "message" }
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
        Err(e) => match zh {
            true => println!(
                "{}：无法读取：{}",
                args.file.display(),
                tr(&e.to_string(), lang)
            ),
            false => println!("{}: cannot be read: {e}", args.file.display()),
        },
    }
    Ok(ok)
}

/// The report's messages in `lang` (the API's catalogue, so `--lang zh` reads as the zh admin page does).
fn translate(result: &mut Result<import::Parsed, ImportError>, lang: Lang) {
    match result {
        Ok(p) => p.warnings.iter_mut().for_each(|w| *w = tr(w, lang)),
        Err(ImportError::Invalid(errors)) => errors
            .iter_mut()
            .for_each(|e| e.message = tr(&e.message, lang)),
        Err(_) => {}
    }
}
