//! The little XML om writes for Pacemaker (CIB objects) and reads back
//! from it (`crm_mon --output-as=xml`, `cibadmin --query`): elements and
//! attributes only, text and comments skipped. Pacemaker's own tools
//! validate what it loads; this reads what they print.

use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// The text directly inside it, trimmed (crm_mon's `<error>` says why
    /// there); never written.
    pub text: String,
}

impl Element {
    pub fn new(name: &str, attrs: &[(&str, &str)]) -> Element {
        Element {
            name: name.into(),
            attrs: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            children: Vec::new(),
            text: String::new(),
        }
    }

    pub fn child(mut self, e: Element) -> Element {
        self.children.push(e);
        self
    }

    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every element named `name` under this one, at any depth, in document order.
    pub fn find_all<'e>(&'e self, name: &str) -> Vec<&'e Element> {
        let mut out = Vec::new();
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            out.extend(c.find_all(name));
        }
        out
    }

    /// The element as XML, indented two spaces a level, as cibadmin prints.
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    /// The element on one line: what goes on a command line.
    pub fn to_line(&self) -> String {
        self.to_xml()
            .lines()
            .map(str::trim_start)
            .collect::<Vec<_>>()
            .concat()
    }

    /// Whether `other` says the same: same name, same attributes in any
    /// order, the same children in the same order.
    pub fn same(&self, other: &Element) -> bool {
        let sorted = |e: &Element| {
            let mut a = e.attrs.clone();
            a.sort();
            a
        };
        self.name == other.name
            && sorted(self) == sorted(other)
            && self.children.len() == other.children.len()
            && self
                .children
                .iter()
                .zip(&other.children)
                .all(|(a, b)| a.same(b))
    }

    fn write(&self, out: &mut String, depth: usize) {
        let pad = "  ".repeat(depth);
        let _ = write!(out, "{pad}<{}", self.name);
        for (k, v) in &self.attrs {
            let _ = write!(out, " {k}=\"{}\"", escape(v));
        }
        if self.children.is_empty() {
            out.push_str("/>\n");
            return;
        }
        out.push_str(">\n");
        for c in &self.children {
            c.write(out, depth + 1);
        }
        let _ = writeln!(out, "{pad}</{}>", self.name);
    }
}

pub fn escape(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn unescape(v: &str) -> String {
    v.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The first (root) element of `text`; why not, in a few words.
pub fn parse(text: &str) -> Result<Element, String> {
    let mut stack: Vec<Element> = Vec::new();
    let mut rest = text;
    loop {
        let Some(open) = rest.find('<') else {
            return Err("no root element, or one that does not end".into());
        };
        if let Some(top) = stack.last_mut() {
            top.text.push_str(&unescape(rest[..open].trim()));
        }
        rest = &rest[open..];
        if let Some(r) = rest.strip_prefix("<!--") {
            let end = r.find("-->").ok_or("a comment that does not end")?;
            rest = &r[end + 3..];
            continue;
        }
        if rest.starts_with("<?") || rest.starts_with("<!") {
            let end = rest.find('>').ok_or("a declaration that does not end")?;
            rest = &rest[end + 1..];
            continue;
        }
        let end = tag_end(rest).ok_or("a tag that does not end")?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let done = stack.pop().ok_or("a closing tag with no opening one")?;
            if done.name != name.trim() {
                return Err(format!("</{}> closes <{}>", name.trim(), done.name));
            }
            match stack.last_mut() {
                Some(parent) => parent.children.push(done),
                None => return Ok(done),
            }
            continue;
        }
        let (tag, empty) = match tag.strip_suffix('/') {
            Some(t) => (t, true),
            None => (tag, false),
        };
        let element = open_tag(tag)?;
        if !empty {
            stack.push(element);
            continue;
        }
        match stack.last_mut() {
            Some(parent) => parent.children.push(element),
            None => return Ok(element),
        }
    }
}

/// Where the tag that `s` opens ends: its `>` outside quoted values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// `name a="1" b='2'` as an element without children.
fn open_tag(tag: &str) -> Result<Element, String> {
    let tag = tag.trim();
    let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
    let name = &tag[..name_end];
    if name.is_empty() {
        return Err("a tag without a name".into());
    }
    let mut attrs = Vec::new();
    let mut rest = tag[name_end..].trim_start();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("<{name}>: an attribute without a value"))?;
        let key = rest[..eq].trim().to_string();
        let after = rest[eq + 1..].trim_start();
        let q = after
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
            .ok_or_else(|| format!("<{name}>: {key}: an unquoted value"))?;
        let close = after[1..]
            .find(q)
            .ok_or_else(|| format!("<{name}>: {key}: a value that does not end"))?;
        attrs.push((key, unescape(&after[1..=close])));
        rest = after[close + 2..].trim_start();
    }
    Ok(Element {
        name: name.into(),
        attrs,
        children: Vec::new(),
        text: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_it_writes_it_reads_back() {
        let e = Element::new("primitive", &[("id", "om-a"), ("x", "a\"<&>b")])
            .child(Element::new("nvpair", &[("name", "path")]));
        assert_eq!(parse(&e.to_xml()), Ok(e));
    }

    #[test]
    fn reads_pacemaker_s_output_and_refuses_broken_text() {
        let doc = "<?xml version=\"1.0\"?>\n<!-- x -->\n<pacemaker-result api-version=\"2.25\">\n  <resources>\n    <resource id='om-a' role=\"Started\">\n      <node name=\"n1\" id=\"1\" cached=\"true\"/>\n    </resource>\n  </resources>\n  <status code=\"0\" message=\"OK\"/>\n</pacemaker-result>\n";
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "pacemaker-result");
        let r = root.find_all("resource");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].attr("role"), Some("Started"));
        assert_eq!(r[0].find_all("node")[0].attr("name"), Some("n1"));
        let errors =
            parse("<r><errors><error>Could not connect &amp; more</error></errors></r>").unwrap();
        assert_eq!(errors.find_all("error")[0].text, "Could not connect & more");
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a x=1/>").is_err());
        assert!(parse("").is_err());
        assert!(parse("<a>").is_err());
    }
}
