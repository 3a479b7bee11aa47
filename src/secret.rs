//! A value that must never show (STYLE.md, "secrets are a type"): its
//! `Debug` and `Display` are `***`, so no log line, error or `{:?}` of a
//! structure holding one can print it. Only `expose` gives the value, for
//! the one place that hands it to a process's environment.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value itself: for a child process's environment, nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints() {
        let s = Secret::new("hunter2".into());
        assert_eq!(
            format!("{s} {s:?} {:?}", vec![("A", s.clone())]),
            "*** *** [(\"A\", ***)]"
        );
        assert_eq!(s.expose(), "hunter2");
    }
}
