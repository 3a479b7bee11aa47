//! The units of om's values, as a config, a flag or the environment
//! writes them and as messages say them: durations, booleans and shell
//! words. A leaf: it imports nothing of om's, so everything may use it.

use std::fmt;
use std::time::Duration;

/// Why a text is not the unit asked for (a leaf's own error: the caller
/// names the key or flag it came from).
#[derive(Debug, PartialEq)]
pub enum UnitError {
    /// Not a duration.
    NotDuration(String),
    /// A duration past `MAX_DURATION`.
    TooLong(String),
    /// Not a boolean.
    NotBool(String),
    /// Not shell words: the text, and why (none: not one word where one
    /// was read).
    NotWords { text: String, why: Option<String> },
    /// Words that end with a `#` comment, which an edit can not keep.
    Comment(String),
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnitError::NotDuration(s) => {
                write!(f, "'{s}' is not a duration (e.g. 10, 10s, 2m, 1h, 1m30s)")
            }
            UnitError::TooLong(s) => write!(f, "'{s}' is longer than the 366 days om accepts"),
            UnitError::NotBool(s) => {
                write!(f, "'{s}' is not a boolean (true/false, yes/no, 1/0)")
            }
            UnitError::NotWords { text, why: None } => {
                write!(f, "'{text}' is not valid shell words")
            }
            UnitError::NotWords {
                text,
                why: Some(why),
            } => write!(f, "'{text}' is not valid shell words: {why}"),
            UnitError::Comment(s) => write!(
                f,
                "'{s}' ends with a # comment: set the whole value instead"
            ),
        }
    }
}

impl From<UnitError> for String {
    fn from(e: UnitError) -> String {
        e.to_string()
    }
}

/// The longest duration om accepts: a bound past it is a typo, and an
/// `Instant` far in the future would overflow.
const MAX_DURATION: Duration = Duration::from_secs(366 * 86400);

/// `10`, `10s`, `2m`, `1h`, `1m30s`, `500ms`. A bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, UnitError> {
    let s = s.trim();
    let bad = || UnitError::NotDuration(s.to_string());
    if s.is_empty() {
        return Err(bad());
    }
    let total = if let Ok(secs) = s.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let mut total = Duration::ZERO;
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
            let n: u32 = rest[..digits].parse().map_err(|_| bad())?;
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let unit = match &rest[..unit_len] {
                "ms" => Duration::from_millis(1),
                "s" => Duration::from_secs(1),
                "m" => Duration::from_secs(60),
                "h" => Duration::from_secs(3600),
                "d" => Duration::from_secs(86400),
                _ => return Err(bad()),
            };
            total = unit
                .checked_mul(n)
                .and_then(|d| total.checked_add(d))
                .ok_or_else(bad)?;
            rest = &rest[unit_len..];
        }
        total
    };
    if total > MAX_DURATION {
        return Err(UnitError::TooLong(s.to_string()));
    }
    Ok(total)
}

/// `true/false`, `yes/no`, `1/0`, case-insensitive.
pub fn parse_bool(s: &str) -> Result<bool, UnitError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(UnitError::NotBool(s.to_string())),
    }
}

pub fn split_words(s: &str) -> Result<Vec<String>, UnitError> {
    shell_words::split(s).map_err(|e| UnitError::NotWords {
        text: s.to_string(),
        why: Some(e.to_string()),
    })
}

/// The shell words of `s` with their byte ranges in `s`, so that an edit
/// can keep every other word exactly as written. The ranges follow
/// POSIX word splitting (quotes and backslashes join); each word's value
/// is what `split_words` gives for its text.
pub fn word_spans(s: &str) -> Result<Vec<(std::ops::Range<usize>, String)>, UnitError> {
    let mut spans = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        // A word that starts with `#` starts a comment (shell_words reads
        // it so): the rest of the value is no words.
        if bytes[i] == b'#' {
            return Err(UnitError::Comment(s.to_string()));
        }
        let mut quote: Option<u8> = None;
        while i < bytes.len() {
            let b = bytes[i];
            match quote {
                None if b.is_ascii_whitespace() => break,
                None if b == b'\\' => i += 1,
                None if b == b'\'' || b == b'"' => quote = Some(b),
                Some(b'"') if b == b'\\' => i += 1,
                Some(q) if b == q => quote = None,
                _ => {}
            }
            i += 1;
        }
        let end = i.min(bytes.len());
        let text = &s[start..end];
        let word = match split_words(text)?.as_slice() {
            [one] => one.clone(),
            _ => {
                return Err(UnitError::NotWords {
                    text: s.to_string(),
                    why: None,
                })
            }
        };
        spans.push((start..end, word));
    }
    Ok(spans)
}

/// A duration as messages say it: whole seconds as `10s`, else `500ms`.
pub fn humanize(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let secs = |s| parse_duration(s).unwrap().as_secs();
        assert_eq!(secs("10"), 10);
        assert_eq!(secs("10s"), 10);
        assert_eq!(secs("2m"), 120);
        assert_eq!(secs("1h"), 3600);
        assert_eq!(secs("1m30s"), 90);
        assert_eq!(parse_duration("500ms").unwrap().as_millis(), 500);
        for bad in [
            "",
            "s",
            "10x",
            "1.5s",
            "-1",
            "m10",
            "10000000000000000000",
            "367d",
            "99999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn word_spans_keep_the_text() {
        let s = "TZ=UTC  GREETING=\"hello world\" 'a b'\\ c d\\ e";
        let spans = word_spans(s).unwrap();
        let texts: Vec<&str> = spans.iter().map(|(r, _)| &s[r.clone()]).collect();
        assert_eq!(
            texts,
            ["TZ=UTC", "GREETING=\"hello world\"", "'a b'\\ c", "d\\ e"]
        );
        let words: Vec<&str> = spans.iter().map(|(_, w)| w.as_str()).collect();
        assert_eq!(words, ["TZ=UTC", "GREETING=hello world", "a b c", "d e"]);
        assert!(word_spans("'open").is_err());
    }

    #[test]
    fn booleans() {
        for t in ["true", "Yes", "1", "TRUE"] {
            assert!(parse_bool(t).unwrap());
        }
        for f in ["false", "no", "0", "No"] {
            assert!(!parse_bool(f).unwrap());
        }
        assert!(parse_bool("maybe").is_err());
    }

    #[test]
    fn humanize_says_seconds_or_milliseconds() {
        assert_eq!(humanize(Duration::from_secs(10)), "10s");
        assert_eq!(humanize(Duration::from_millis(1500)), "1500ms");
        assert_eq!(humanize(Duration::ZERO), "0s");
    }
}
