//! `edit --key K` of a secret or config (the OpenSVC agent's form): the
//! value is decoded to a file only the user can read, in a directory of
//! its own (the editor's swap and backup files land there too), and both
//! are removed when the edit ends, whatever its end. The value is never on
//! an argv, in a log or in an error: the editor gets the file's path.

use crate::error::{fail, Error, Result};
use crate::process::{inherit, Cmd};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// A directory this edit created (0700), removed with all it holds when
/// dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `editor` on `value`, in a new directory `dir` (its parent must
/// exist; `dir` must not: an existing one is never reused), and returns
/// the file's content once the editor exited 0. `max` bounds it.
pub fn edit_value(
    editor: &[String],
    dir: &Path,
    key: &str,
    value: &[u8],
    max: u64,
) -> Result<Vec<u8>> {
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::Failed(crate::fsutil::io_fault(dir, &e)))?;
    let scratch = Scratch(dir.to_path_buf());
    // `key-` keeps a key such as `..` a plain file name
    let file = scratch.0.join(format!("key-{key}"));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&file)
        .and_then(|mut f| f.write_all(value).and_then(|()| f.sync_all()))
        .map_err(|e| Error::Failed(crate::fsutil::io_fault(&file, &e)))?;
    let (program, args) = editor
        .split_first()
        .ok_or_else(|| Error::Usage("$VISUAL/$EDITOR is empty".into()))?;
    let mut argv = args.to_vec();
    argv.push(file.display().to_string());
    // a signal while the editor runs (the terminal's ^C, a hangup) does not
    // end om before it removed the file; the editor's exit code decides
    crate::interrupt::outlive_child();
    let code = inherit(&Cmd::new(program.clone(), argv))?;
    if code != 0 {
        return fail(format!(
            "{program} exited with code {code}; key '{key}' unchanged"
        ));
    }
    // the editor may have replaced the file by a FIFO or a link: a
    // regular file only, read within the bound
    crate::fsutil::check_regular(&file)
        .map_err(|e| Error::Failed(crate::fsutil::io_fault(&file, &e)))?;
    crate::fsutil::read_source("the edited value", &file.display().to_string(), max)
}
