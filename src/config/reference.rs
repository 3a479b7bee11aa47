//! A value's pieces: text as is, and `{reference}`s (what `eval` expands).

/// A piece of a value: text as is, or a `{reference}`.
#[derive(Debug, PartialEq)]
pub enum Token<'a> {
    Text(&'a str),
    Ref(&'a str),
}

/// Whether `{inner}` has the shape of a reference (`name`, `env.KEY`,
/// `container#1.image`): anything else (`{}`, `{a,b}`, `{print $1}`,
/// `{"a":1}`) is shell, awk or JSON text and stays as it is.
fn is_reference(inner: &str) -> bool {
    !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.#@:-".contains(c))
}

/// Splits a value into text and references. `{{…}}` (Go templates),
/// `${…}` (shell variables) and braces that are not a reference's shape are
/// text, so docker, shell and JSON syntax pass through.
pub fn tokenize(value: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let bytes = value.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'{' && bytes.get(i + 1) == Some(&b'{') {
            i = value[i..].find("}}").map_or(bytes.len(), |e| i + e + 2);
        } else if bytes[i] == b'{' && (i == 0 || bytes[i - 1] != b'$') {
            match value[i + 1..].find(['{', '}']) {
                Some(e) if bytes[i + 1 + e] == b'}' && is_reference(&value[i + 1..i + 1 + e]) => {
                    if start < i {
                        out.push(Token::Text(&value[start..i]));
                    }
                    out.push(Token::Ref(&value[i + 1..i + 1 + e]));
                    i += e + 2;
                    start = i;
                }
                _ => i += 1,
            }
        } else {
            i += 1;
        }
    }
    if start < bytes.len() {
        out.push(Token::Text(&value[start..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(
            tokenize("a{name}b{{.Id}}${HOME}{x"),
            [
                Token::Text("a"),
                Token::Ref("name"),
                Token::Text("b{{.Id}}${HOME}{x")
            ]
        );
        // shell, awk and JSON braces are text
        for text in [
            "CFG='{\"a\":1}'",
            "awk '{print $1}'",
            "-exec echo {} ;",
            "x{a,b}y",
        ] {
            assert_eq!(tokenize(text), [Token::Text(text)], "{text}");
        }
        assert_eq!(
            tokenize("{container#1.image}:{env.tag}"),
            [
                Token::Ref("container#1.image"),
                Token::Text(":"),
                Token::Ref("env.tag")
            ]
        );
    }
}
