//! A config value checked against its keyword kind, and the order of
//! rids. The units themselves (durations, booleans, words) are
//! `crate::units`.

use super::keywords::ValueType;
use crate::units::{parse_bool, parse_duration, split_words, UnitError};
use std::fmt;

/// Why a value is not of its keyword's kind (the caller names the key).
#[derive(Debug, PartialEq)]
pub enum ValueError {
    /// Not the unit the kind reads (a duration, a boolean, shell words).
    Unit(UnitError),
    /// Not one of a choice's words: the value and the words.
    NotOneOf {
        value: String,
        choices: &'static [&'static str],
    },
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::Unit(e) => e.fmt(f),
            ValueError::NotOneOf { value, choices } => {
                let words: Vec<&str> = choices.iter().filter(|c| !c.is_empty()).copied().collect();
                write!(f, "'{value}' is not one of: {}", words.join(", "))
            }
        }
    }
}

/// Checks an expanded value against its keyword kind.
pub fn check(kind: ValueType, s: &str) -> Result<(), ValueError> {
    match kind {
        ValueType::Str | ValueType::Text | ValueType::Namespace | ValueType::Image => Ok(()),
        ValueType::Bool => parse_bool(s).map(drop).map_err(ValueError::Unit),
        ValueType::Duration => parse_duration(s).map(drop).map_err(ValueError::Unit),
        ValueType::Words => split_words(s).map(drop).map_err(ValueError::Unit),
        ValueType::Choice(choices) if choices.contains(&s) => Ok(()),
        ValueType::Choice(choices) => Err(ValueError::NotOneOf {
            value: s.to_string(),
            choices,
        }),
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
    fn a_value_not_of_its_kind_says_why() {
        assert_eq!(check(ValueType::Choice(&["", "host"]), "host"), Ok(()));
        assert_eq!(check(ValueType::Choice(&["", "host"]), ""), Ok(()));
        let e = check(ValueType::Choice(&["", "host"]), "guest").unwrap_err();
        assert_eq!(e.to_string(), "'guest' is not one of: host");
        let e = check(ValueType::Bool, "maybe").unwrap_err();
        assert_eq!(e, ValueError::Unit(UnitError::NotBool("maybe".into())));
        assert_eq!(
            e.to_string(),
            "'maybe' is not a boolean (true/false, yes/no, 1/0)"
        );
        assert!(check(ValueType::Duration, "soon").is_err());
        assert!(check(ValueType::Words, "'open").is_err());
        assert_eq!(check(ValueType::Str, "anything"), Ok(()));
    }

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
