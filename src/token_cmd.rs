//! `yizhan token add|list|revoke`: the admins' tokens in the data directory, without a server (a running one
//! re-reads the file within a second). Each change is written to the audit log too, by `admin` (whoever can
//! run this holds the data directory, so the full admin).

use std::io::Write;

use std::sync::Arc;

use crate::cli::{DataDirArgs, TokenCommand};
use crate::store::audit::{AuditEntry, AuditLog};
use crate::store::tokens::{self, TokenRecord};
use crate::store::{self, Backend};

/// Runs one token command, writing to `out` (the secret of `add`, the table of `list`).
pub fn run(cmd: &TokenCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Add(a) => {
            let store = open(&a.dir)?;
            let secret = tokens::add(&*store, &a.name, &a.districts, a.read_only)?;
            let scope = tokens::read(&*store)?
                .iter()
                .find(|t| t.name == a.name)
                .map(scope_of)
                .unwrap_or_default();
            audit(store, "token add", format!("{} ({scope})", a.name))?;
            writeln!(out, "{secret}")?;
            eprintln!(
                "token {:?} added ({scope}); the line above is its secret, shown only this once: send it as \
                 Authorization: Bearer <secret>",
                a.name
            );
        }
        TokenCommand::List(d) => {
            let all = tokens::read(&*open(d)?)?;
            writeln!(
                out,
                "{:<24} {:<32} {:<26} REVOKED",
                "NAME", "SCOPE", "CREATED"
            )?;
            for t in &all {
                writeln!(
                    out,
                    "{:<24} {:<32} {:<26} {}",
                    t.name,
                    scope_of(t),
                    t.created_at,
                    t.revoked_at.as_deref().unwrap_or("-")
                )?;
            }
        }
        TokenCommand::Revoke(a) => {
            let store = open(&a.dir)?;
            tokens::revoke(&*store, &a.name)?;
            audit(store, "token revoke", a.name.clone())?;
            eprintln!(
                "token {:?} revoked; a running server refuses it within a second",
                a.name
            );
        }
    }
    Ok(())
}

/// `all districts` or the districts, and `read-only` when it is.
fn scope_of(t: &TokenRecord) -> String {
    let districts = if t.districts.is_empty() {
        "all districts".to_owned()
    } else {
        t.districts.join(",")
    };
    if t.read_only {
        format!("{districts}, read-only")
    } else {
        districts
    }
}

/// The server's store: its PostgreSQL when given, else its data directory.
fn open(d: &DataDirArgs) -> anyhow::Result<Arc<dyn Backend>> {
    Ok(store::open_backend(&d.data_dir, d.database_url.as_deref())?)
}

fn audit(store: Arc<dyn Backend>, action: &str, detail: String) -> anyhow::Result<()> {
    AuditLog::open(store).append(AuditEntry {
        actor: "admin".into(),
        action: action.into(),
        detail,
        ..Default::default()
    })?;
    Ok(())
}
