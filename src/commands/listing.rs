//! `om ls` and `om SVC logs`.

use super::{each, out, Ctx};
use crate::cli::Format;
use crate::error::{Context, Error, Result};
use crate::paths::list_services;
use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

pub fn ls(ctx: &Ctx, format: Format) -> Result<()> {
    let paths: Vec<String> = list_services(&ctx.roots)
        .iter()
        .map(ToString::to_string)
        .collect();
    let text = match format {
        Format::Text => paths.iter().map(|p| format!("{p}\n")).collect(),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&paths).map_err(|e| Error::Failed(e.to_string()))?
        ),
    };
    out(&text)?;
    Ok(())
}

pub fn logs(ctx: &Ctx, selector: &str, follow: bool) -> Result<()> {
    let paths = ctx.select(selector)?;
    if follow && paths.len() > 1 {
        return Err(Error::Usage(format!(
            "logs --follow follows one service, '{selector}' selects {}",
            paths.len()
        )));
    }
    each(&paths, |path| {
        let file = path.log_file(&ctx.roots);
        let mut f = loop {
            match std::fs::File::open(&file) {
                Ok(f) => break f,
                // No action has logged yet: nothing to show, or wait for
                // the first line (as tail -F does).
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !follow => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(Error::Failed(format!("{}: {e}", file.display()))),
            }
        };
        let mut buf = Vec::new();
        loop {
            let pos = f.stream_position().unwrap_or(0);
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            if len < pos {
                // Truncated or replaced: start over.
                let _ = f.seek(SeekFrom::Start(0));
            }
            buf.clear();
            f.read_to_end(&mut buf)
                .context(|| format!("read {}", file.display()))?;
            if !buf.is_empty() {
                out(&String::from_utf8_lossy(&buf))?;
            }
            if !follow {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    })
}
