//! `om ls` and `om SVC logs`.

use super::{each, Ctx};
use crate::cli::Format;
use crate::error::{Context, Error, Result};
use crate::paths::list_services;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

pub fn ls(ctx: &Ctx, format: Format) -> Result<()> {
    let paths: Vec<String> = list_services(&ctx.roots)
        .iter()
        .map(ToString::to_string)
        .collect();
    match format {
        Format::Text => paths.iter().for_each(|p| println!("{p}")),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&paths).map_err(|e| Error::Failed(e.to_string()))?
        ),
    }
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
        let mut out = std::io::stdout();
        std::io::copy(&mut f, &mut out).context(|| format!("read {}", file.display()))?;
        if !follow {
            return Ok(());
        }
        let mut buf = Vec::new();
        loop {
            let _ = out.flush();
            std::thread::sleep(Duration::from_millis(200));
            let pos = f.stream_position().unwrap_or(0);
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            if len < pos {
                // Truncated or replaced: start over.
                let _ = f.seek(SeekFrom::Start(0));
            }
            buf.clear();
            f.read_to_end(&mut buf)
                .context(|| format!("read {}", file.display()))?;
            out.write_all(&buf).context(|| "write stdout".into())?;
        }
    })
}
