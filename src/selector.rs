//! Selectors: a path, a glob, or a comma list of them (OR).

use crate::error::{Error, Result};
use crate::paths::SvcPath;

/// The services `expr` selects among `all` (sorted, no duplicates). An exact
/// path that does not exist is an error; a glob that matches nothing is not
/// here (`Host::select` refuses an empty selection, `Host::matching` takes
/// it); a glob that is not one (`rt[`) is a usage error.
pub fn select(expr: &str, all: &[SvcPath]) -> Result<Vec<SvcPath>> {
    let mut out: Vec<SvcPath> = Vec::new();
    for item in expr.split(',') {
        if is_glob(item) {
            let glob =
                Glob::new(item).map_err(|e| Error::Usage(format!("selector '{item}': {e}")))?;
            out.extend(all.iter().filter(|p| glob.matches(&p.to_string())).cloned());
        } else {
            let path = SvcPath::parse(item)?;
            // `all` comes sorted from list_services: a scan only to be sure
            // before saying it is missing.
            if all.binary_search(&path).is_err() && !all.contains(&path) {
                return Err(Error::not_found("service", path));
            }
            out.push(path);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

pub fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// One element of a glob.
#[derive(Debug, PartialEq)]
enum Tok {
    Char(char),
    /// `?`
    Any,
    /// `[...]`: ranges (a single char is `c..=c`), negated with `!` or `^`.
    Class(bool, Vec<(char, char)>),
    /// `*`
    Star,
}

/// A shell-style glob: `*` any run, `?` one char, `[abc]`/`[a-z]`/`[!a]` a
/// class (a `]` first in a class is a member). Parsed once, then matched in
/// O(pattern × name) at worst.
#[derive(Debug)]
pub struct Glob(Vec<Tok>);

/// A `[` no `]` closes, at character `at` (from 1): the pattern is no glob.
#[derive(Debug, PartialEq)]
pub struct Unclosed {
    pub at: usize,
}

impl std::fmt::Display for Unclosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unclosed '[' at character {}", self.at)
    }
}

impl Glob {
    pub fn new(pattern: &str) -> std::result::Result<Glob, Unclosed> {
        let p: Vec<char> = pattern.chars().collect();
        let mut toks = Vec::new();
        let mut i = 0;
        while i < p.len() {
            toks.push(match p[i] {
                '*' => Tok::Star,
                '?' => Tok::Any,
                '[' => {
                    let (tok, end) = class(&p, i).ok_or(Unclosed { at: i + 1 })?;
                    i = end;
                    tok
                }
                c => Tok::Char(c),
            });
            i += 1;
        }
        Ok(Glob(toks))
    }

    /// The classic wildcard match: on a mismatch, only the last `*` takes one
    /// more char; earlier stars never need to (what they could take, the
    /// last one can too), so there is no exponential backtracking.
    pub fn matches(&self, text: &str) -> bool {
        let (p, t): (&[Tok], Vec<char>) = (&self.0, text.chars().collect());
        let (mut pi, mut ti) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            match p.get(pi) {
                Some(Tok::Star) => {
                    star = Some((pi, ti));
                    pi += 1;
                }
                Some(tok) if one(tok, t[ti]) => {
                    pi += 1;
                    ti += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        star = Some((sp, st + 1));
                        pi = sp + 1;
                        ti = st + 1;
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|tok| *tok == Tok::Star)
    }
}

/// Whether a one-char element matches `c`.
fn one(tok: &Tok, c: char) -> bool {
    match tok {
        Tok::Char(x) => *x == c,
        Tok::Any => true,
        Tok::Class(negate, ranges) => ranges.iter().any(|(a, b)| (*a..=*b).contains(&c)) != *negate,
        Tok::Star => false,
    }
}

/// The class opening at `p[start]` and the index of its `]`.
fn class(p: &[char], start: usize) -> Option<(Tok, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let first = i;
    let mut ranges = Vec::new();
    loop {
        let c = *p.get(i)?;
        if c == ']' && i > first {
            return Some((Tok::Class(negate, ranges), i));
        }
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|e| *e != ']') {
            ranges.push((c, p[i + 2]));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
}

/// Whether `text` matches `pattern`; an invalid pattern matches nothing.
#[cfg(test)]
pub fn glob_match(pattern: &str, text: &str) -> bool {
    Glob::new(pattern).is_ok_and(|g| g.matches(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(names: &[&str]) -> Vec<SvcPath> {
        names.iter().map(|n| SvcPath::parse(n).unwrap()).collect()
    }

    #[test]
    fn globs() {
        assert!(glob_match("svc*", "svc1"));
        assert!(glob_match("*", "ns1/svc/a"));
        assert!(glob_match("ns1/svc/*", "ns1/svc/a"));
        assert!(!glob_match("svc*", "ns1/svc/a"));
        assert!(glob_match("s?c[0-9]", "svc1"));
        assert!(!glob_match("svc[!1]", "svc1"));
        assert!(glob_match("svc[!1]", "svc2"));
        assert!(glob_match("svc[^1]", "svc2"));
        assert!(glob_match("[abc]x", "bx"));
        assert!(!glob_match("[abc]x", "dx"));
        assert!(glob_match("a[]]b", "a]b"));
        assert!(glob_match("a[a-]b", "a-b"));
        assert!(glob_match("*a*b", "xxaxxb"));
        assert!(!glob_match("*a*b", "xxaxxbc"));
        assert!(glob_match("a**", "a"));
        assert!(glob_match("", ""));
        assert!(!glob_match("?", ""));
    }

    #[test]
    fn invalid_globs_are_usage_errors() {
        for bad in ["rt[", "rt[!", "a[]", "[a-"] {
            assert!(Glob::new(bad).is_err(), "{bad}");
        }
        let err = select("ok*,rt[", &paths(&["rt1"])).unwrap_err();
        assert_eq!(err.code(), 2);
        assert_eq!(
            err.to_string(),
            "selector 'rt[': unclosed '[' at character 3"
        );
    }

    #[test]
    fn globs_are_not_exponential() {
        let t = std::time::Instant::now();
        let name = "r".to_string() + &"a".repeat(62);
        assert!(!glob_match("rt*a*a*a*a*a*a*a*a*b", &name));
        assert!(!glob_match(
            &format!("{}b", "*a".repeat(100)),
            &"a".repeat(1000)
        ));
        assert!(t.elapsed().as_millis() < 500);
    }

    #[test]
    fn selects_union_sorted() {
        let all = paths(&["a1", "b1", "ns1/svc/a1"]);
        let got = select("b*,a1", &all).unwrap();
        assert_eq!(got, paths(&["a1", "b1"]));
        assert!(select("zz*", &all).unwrap().is_empty());
        assert!(select("nosuch", &all).is_err());
        assert!(select("Bad_Name", &all).is_err());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// The obvious recursive matcher (exponential, fine on small inputs).
    fn reference(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|i| reference(&p[1..], &t[i..])),
            Some('?') => !t.is_empty() && reference(&p[1..], &t[1..]),
            Some('[') => {
                let end = p.iter().skip(2).position(|c| *c == ']').unwrap() + 2;
                let (negate, class) = match p[1] {
                    '!' => (true, &p[2..end]),
                    _ => (false, &p[1..end]),
                };
                let hit = |c: char| {
                    class.chunks(3).any(|r| match r {
                        [a, '-', b] => (*a..=*b).contains(&c),
                        _ => r.contains(&c),
                    })
                };
                t.first().is_some_and(|c| hit(*c) != negate) && reference(&p[end + 1..], &t[1..])
            }
            Some(c) => t.first() == Some(c) && reference(&p[1..], &t[1..]),
        }
    }

    proptest! {
        /// Any pattern and name: no panic, and a quick answer even for
        /// the star-heavy patterns that made the old matcher exponential.
        /// On small ones, the same answer as the recursive reference.
        #[test]
        fn fuzz_glob_agrees(
            small in "([ab?*]|\\[!?(ab|a-b|b)\\]){0,8}",
            name in "[ab]{0,10}",
            any_pattern in prop_oneof![any::<String>(), "([a*?]|\\[!?a?\\]?){0,60}"],
            any_name in prop_oneof![any::<String>(), "a{0,200}"],
        ) {
            let t = std::time::Instant::now();
            let p: Vec<char> = small.chars().collect();
            let n: Vec<char> = name.chars().collect();
            prop_assert_eq!(glob_match(&small, &name), reference(&p, &n), "{} {}", small, name);
            if let Ok(g) = Glob::new(&any_pattern) {
                g.matches(&any_name);
            }
            prop_assert!(t.elapsed().as_millis() < 500);
        }
    }
}
