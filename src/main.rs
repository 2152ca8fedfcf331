//! The `yizhan` binary: parse the command line, start logging, run; exit 1 on error.

use clap::Parser;

use yizhan::app::Application;
use yizhan::cli::{Cli, Command, LogFormat, ServeArgs};

/// jemalloc gives the memory of a replaced dataset and of an upload's parse back to the OS within seconds
/// (background purging of dirty pages); glibc's malloc kept ≈ 250 MB of such garbage resident at a million
/// stations. mimalloc held even more after a restart (see docs/BENCHMARKS.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Validate(args)) => {
            yizhan::check::run(&args).map(|valid| valid.then_some(()).ok_or(1))
        }
        Some(Command::Token(cmd)) => {
            yizhan::token_cmd::run(&cmd, &mut std::io::stdout().lock()).map(Ok)
        }
        Some(Command::RotateConfirmSecret(args)) => {
            yizhan::app::rotate_confirm_secret(&args.data_dir, args.database_url.as_deref()).map(|()| {
                match &args.database_url {
                    Some(_) => eprintln!("a new confirmation-link secret is in the database; restart every replica, then print new QR codes (old links no longer work)"),
                    None => eprintln!("a new confirmation-link secret is in {}; restart the server, then print new QR codes (old links no longer work)", args.data_dir.display()),
                }
                Ok(())
            })
        }
        serve => {
            let args = match serve {
                Some(Command::Serve(a)) => a,
                _ => ServeArgs::default(),
            };
            init_tracing(args.log_format);
            let env_token = std::env::var("YIZHAN_ADMIN_TOKEN").ok();
            args.into_settings(env_token)
                .and_then(|settings| {
                    let rt = tokio::runtime::Builder::new_multi_thread()
                        .enable_all()
                        .build()?;
                    rt.block_on(async {
                        Application::build(settings)
                            .await?
                            .run_until_stopped()
                            .await
                    })
                })
                .map(Ok)
        }
    };
    match result {
        Ok(Ok(())) => std::process::ExitCode::SUCCESS,
        Ok(Err(code)) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
