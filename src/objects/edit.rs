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
    // om was told to end (TERM, HUP) while the editor ran: nothing is
    // stored, whatever the editor did, and om ends 128+N as it would have
    if let Some(sig) = crate::interrupt::outlived_end() {
        crate::text::say(&format!("key '{key}' unchanged"));
        return Err(Error::Interrupted(sig));
    }
    if code != 0 {
        return fail(format!(
            "{program} exited with code {code}; key '{key}' unchanged"
        ));
    }
    // the editor may have replaced the file by a FIFO or a link: a
    // regular file only, read within the bound
    crate::fsutil::check_regular(&file)
        .map_err(|e| Error::Failed(crate::fsutil::io_fault(&file, &e)))?;
    let edited = crate::fsutil::read_source("the edited value", &file.display().to_string(), max)?;
    Ok(without_added_newline(value, edited))
}

/// vi and most editors end a file they save with a newline: one that the
/// value did not have is the editor's, not the user's (a password edited
/// in vi must not gain one). A value that ended with a newline keeps what
/// the editor saved.
fn without_added_newline(old: &[u8], mut new: Vec<u8>) -> Vec<u8> {
    if !old.ends_with(b"\n") && new.ends_with(b"\n") && !new.ends_with(b"\n\n") {
        new.pop();
    }
    new
}

#[cfg(test)]
mod tests {
    use super::without_added_newline as strip;

    #[test]
    fn an_editor_s_final_newline_is_dropped_only_where_the_value_had_none() {
        assert_eq!(strip(b"pw", b"pw\n".to_vec()), b"pw");
        assert_eq!(strip(b"pw", b"pw2\n".to_vec()), b"pw2");
        assert_eq!(strip(b"pw", b"pw".to_vec()), b"pw");
        assert_eq!(strip(b"a\n", b"b\n".to_vec()), b"b\n");
        // a blank line the user typed is theirs
        assert_eq!(strip(b"pw", b"pw\n\n".to_vec()), b"pw\n\n");
    }
}
