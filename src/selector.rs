//! Selectors: a path, a glob, or a comma list of them (OR).

use crate::error::{Error, Result};
use crate::paths::SvcPath;

/// The services `expr` selects among `all` (sorted, no duplicates). An exact
/// path that does not exist is an error; a glob that matches nothing is not.
pub fn select(expr: &str, all: &[SvcPath]) -> Result<Vec<SvcPath>> {
    let mut out: Vec<SvcPath> = Vec::new();
    for item in expr.split(',') {
        if is_glob(item) {
            out.extend(
                all.iter()
                    .filter(|p| glob_match(item, &p.to_string()))
                    .cloned(),
            );
        } else {
            let path = SvcPath::parse(item)?;
            if !all.contains(&path) {
                return Err(Error::Failed(format!("service {path} does not exist")));
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

/// Shell-style glob: `*` any run, `?` one char, `[abc]`/`[a-z]`/`[!a]` a class.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches(&p, &t)
}

fn matches(p: &[char], t: &[char]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some('*') => (0..=t.len()).any(|i| matches(&p[1..], &t[i..])),
        Some('?') => !t.is_empty() && matches(&p[1..], &t[1..]),
        Some('[') => match (class_end(p), t.first()) {
            (Some(end), Some(c)) => class_has(&p[1..end], *c) && matches(&p[end + 1..], &t[1..]),
            (None, Some(c)) => *c == '[' && matches(&p[1..], &t[1..]),
            (_, None) => false,
        },
        Some(c) => t.first() == Some(c) && matches(&p[1..], &t[1..]),
    }
}

fn class_end(p: &[char]) -> Option<usize> {
    p.iter().skip(2).position(|c| *c == ']').map(|i| i + 2)
}

fn class_has(class: &[char], c: char) -> bool {
    let (negate, class) = match class.first() {
        Some('!' | '^') => (true, &class[1..]),
        _ => (false, class),
    };
    let mut found = false;
    let mut i = 0;
    while i < class.len() {
        if i + 2 < class.len() && class[i + 1] == '-' {
            found |= (class[i]..=class[i + 2]).contains(&c);
            i += 3;
        } else {
            found |= class[i] == c;
            i += 1;
        }
    }
    found != negate
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
