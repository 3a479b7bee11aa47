//! A config value checked against its keyword kind, and the order of
//! rids. The units themselves (durations, booleans, words) are
//! `crate::units`.

use super::keywords::Kind;
use crate::units::{parse_bool, parse_duration, split_words};

/// Checks an expanded value against its keyword kind.
pub fn check(kind: Kind, s: &str) -> Result<(), String> {
    match kind {
        Kind::Str | Kind::Text | Kind::Namespace => Ok(()),
        Kind::Bool => parse_bool(s).map(drop).map_err(Into::into),
        Kind::Duration => parse_duration(s).map(drop).map_err(Into::into),
        Kind::Words => split_words(s).map(drop).map_err(Into::into),
        Kind::Choice(choices) if choices.contains(&s) => Ok(()),
        Kind::Choice(choices) => Err(format!(
            "'{s}' is not one of: {}",
            choices
                .iter()
                .filter(|c| !c.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Sort key putting `container#2` before `container#10`.
pub fn natural_key(s: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while chars.peek().is_some() {
        let mut letters = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_ascii_digit()) {
            letters.push(c);
        }
        let mut num = String::new();
        while let Some(c) = chars.next_if(char::is_ascii_digit) {
            num.push(c);
        }
        out.push((letters, num.parse().unwrap_or(0)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut rids = vec![
            "container#10",
            "container#2",
            "container#1",
            "container#web",
        ];
        rids.sort_by_key(|r| natural_key(r));
        assert_eq!(
            rids,
            [
                "container#1",
                "container#2",
                "container#10",
                "container#web"
            ]
        );
    }
}
