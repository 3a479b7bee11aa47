//! What a `docker save` archive would name once loaded (SPEC 17): the
//! receiving side of a docker sync reads it before `docker load` does, so
//! that a sender can load no image under a name the service does not use
//! (a tag of another service's image on a shared engine). The names are
//! `manifest.json`'s `RepoTags` and `index.json`'s image-name annotations,
//! read from the tar as docker extracts it: an entry's path with its pax
//! or GNU long name, `./` and `..` resolved. No `manifest.json`, two of
//! one, one that is not a regular file, a tar that does not read: an
//! error, never "no names" (a compressed archive, which docker would
//! take, is refused as unreadable).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Bounds of what is read into memory: a manifest, an index, a header.
const MAX_META: u64 = 16 << 20;

/// The image references the archive at `file` tags when loaded.
pub fn names(file: &Path) -> Result<Vec<String>, String> {
    let mut f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut manifest: Option<Vec<u8>> = None;
    let mut index: Option<Vec<u8>> = None;
    let mut long_name: Option<String> = None;
    let mut pax_name: Option<String> = None;
    // the links met so far: an entry under one is written through it by
    // an extractor that follows it (moby's with the classic store)
    let mut links: Vec<String> = Vec::new();
    let mut block = [0u8; 512];
    loop {
        if read_block(&mut f, &mut block)? {
            break;
        }
        if block.iter().all(|b| *b == 0) {
            break;
        }
        let size = size_of(&block)?;
        let kind = block[156];
        let padded = size.div_ceil(512) * 512;
        let header_name = header_name(&block);
        match kind {
            b'x' | b'L' => {
                let data = read_data(&mut f, size, padded)?;
                if kind == b'L' {
                    long_name = Some(cstr(&data));
                } else if let Some(p) = pax_path(&data) {
                    pax_name = Some(p);
                }
                continue;
            }
            b'g' => return Err("a global pax header".into()),
            _ => {}
        }
        // readers differ on which of a GNU long name and a pax path wins
        // (Go's archive/tar: the long name, whatever their order): an
        // entry named both ways is refused, not read as one of them
        let path = match (long_name.take(), pax_name.take()) {
            (Some(_), Some(_)) => {
                return Err("an entry named by both a GNU long name and a pax path".into())
            }
            (Some(n), None) | (None, Some(n)) => normal(&n),
            (None, None) => normal(&header_name),
        };
        if let Some(link) = links.iter().find(|l| path.starts_with(&format!("{l}/"))) {
            return Err(format!("{path} is under the link {link}"));
        }
        if kind == b'1' || kind == b'2' {
            links.push(path.clone());
        }
        let slot = match path.as_str() {
            "manifest.json" => Some(&mut manifest),
            "index.json" => Some(&mut index),
            _ => None,
        };
        match slot {
            Some(slot) => {
                if slot.is_some() {
                    return Err(format!("{path} twice"));
                }
                if kind != b'0' && kind != 0 {
                    return Err(format!("{path} is not a regular file"));
                }
                *slot = Some(read_data(&mut f, size, padded)?);
            }
            None => {
                f.seek(SeekFrom::Current(padded as i64))
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    let manifest = manifest.ok_or("no manifest.json (not a docker save archive)")?;
    let mut out = repo_tags(&manifest)?;
    if let Some(index) = index {
        out.extend(annotated(&index)?);
    }
    Ok(out)
}

/// Reads one block; true at the end of the file.
fn read_block(f: &mut std::fs::File, block: &mut [u8; 512]) -> Result<bool, String> {
    let mut got = 0;
    while got < 512 {
        match f.read(&mut block[got..]) {
            Ok(0) if got == 0 => return Ok(true),
            Ok(0) => return Err("a tar cut in a header".into()),
            Ok(n) => got += n,
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(false)
}

fn read_data(f: &mut std::fs::File, size: u64, padded: u64) -> Result<Vec<u8>, String> {
    if size > MAX_META {
        return Err(format!("a metadata entry of {size} bytes"));
    }
    let mut data = vec![0u8; usize::try_from(padded).map_err(|e| e.to_string())?];
    f.read_exact(&mut data)
        .map_err(|e| format!("a tar cut in an entry: {e}"))?;
    data.truncate(usize::try_from(size).map_err(|e| e.to_string())?);
    Ok(data)
}

/// An entry's size: octal digits, or base-256 (a high bit set).
fn size_of(block: &[u8; 512]) -> Result<u64, String> {
    let field = &block[124..136];
    if field[0] & 0x80 != 0 {
        let mut n: u64 = u64::from(field[0] & 0x7f);
        for b in &field[1..] {
            n = n
                .checked_mul(256)
                .and_then(|n| n.checked_add(u64::from(*b)))
                .ok_or("an entry size out of range")?;
        }
        return Ok(n);
    }
    let text = cstr(field);
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(text, 8).map_err(|_| format!("not a tar header (size '{text}')"))
}

/// The ustar name, with its prefix.
fn header_name(block: &[u8; 512]) -> String {
    let name = cstr(&block[..100]);
    let prefix = if &block[257..262] == b"ustar" {
        cstr(&block[345..500])
    } else {
        String::new()
    };
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    }
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// A pax header's `path` record (`LEN path=VALUE\n`).
fn pax_path(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    let mut found = None;
    let mut rest: &str = &text;
    while let Some((len, _)) = rest.split_once(' ') {
        let n: usize = len.parse().ok()?;
        let record = rest.get(..n)?;
        rest = &rest[n..];
        let (_, kv) = record.split_once(' ')?;
        if let Some(v) = kv
            .strip_suffix('\n')
            .and_then(|kv| kv.strip_prefix("path="))
        {
            found = Some(v.to_string());
        }
    }
    found
}

/// A path as extraction lays it: `.`, empty and `..` components resolved
/// (a `..` above the top stays at the top).
fn normal(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.join("/")
}

fn repo_tags(manifest: &[u8]) -> Result<Vec<String>, String> {
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "RepoTags")]
        repo_tags: Option<Vec<String>>,
    }
    let entries: Vec<Entry> =
        serde_json::from_slice(manifest).map_err(|e| format!("manifest.json: {e}"))?;
    Ok(entries
        .into_iter()
        .flat_map(|e| e.repo_tags.unwrap_or_default())
        .collect())
}

/// `index.json`'s image names: every manifest's `io.containerd.image.name`
/// and `org.opencontainers.image.ref.name` but a bare tag.
fn annotated(index: &[u8]) -> Result<Vec<String>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(index).map_err(|e| format!("index.json: {e}"))?;
    let mut out = Vec::new();
    for m in v["manifests"].as_array().into_iter().flatten() {
        for key in [
            "io.containerd.image.name",
            "org.opencontainers.image.ref.name",
        ] {
            if let Some(name) = m["annotations"][key].as_str() {
                let bare_tag = !name.contains(['/', ':', '@']);
                if !(key.starts_with("org.") && bare_tag) {
                    out.push(name.to_string());
                }
            }
        }
    }
    Ok(out)
}

/// `docker.io/library/busybox` as docker writes it in a save
/// (`busybox`): the default registry and library namespace dropped.
pub fn familiar(r: &str) -> &str {
    let r = r
        .strip_prefix("docker.io/")
        .or_else(|| r.strip_prefix("index.docker.io/"))
        .unwrap_or(r);
    match r.strip_prefix("library/") {
        Some(rest) if !rest.contains('/') => rest,
        _ => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, kind: u8, size: usize) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let s = format!("{size:011o}");
        h[124..135].copy_from_slice(s.as_bytes());
        h[156] = kind;
        h[257..262].copy_from_slice(b"ustar");
        h
    }

    fn entry(tar: &mut Vec<u8>, name: &str, kind: u8, data: &[u8]) {
        tar.extend(header(name, kind, data.len()));
        tar.extend(data);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }

    fn names_of(tar: &[u8]) -> Result<Vec<String>, String> {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.tar");
        let mut t = tar.to_vec();
        t.extend([0u8; 1024]);
        std::fs::write(&f, t).unwrap();
        names(&f)
    }

    #[test]
    fn an_archive_names_what_docker_would_tag() {
        let m = br#"[{"Config":"c.json","RepoTags":["busybox:latest","x/y:1"],"Layers":[]},{"Config":"d.json","RepoTags":null}]"#;
        let mut tar = Vec::new();
        entry(&mut tar, "abc/layer.tar", b'0', &[7u8; 700]);
        entry(&mut tar, "./manifest.json", b'0', m);
        assert_eq!(names_of(&tar).unwrap(), ["busybox:latest", "x/y:1"]);
        // a second manifest.json, under another spelling: refused
        let mut two = tar.clone();
        entry(&mut two, "a/../manifest.json", b'0', b"[]");
        assert!(names_of(&two).unwrap_err().contains("twice"));
        // a pax path renames an entry
        let mut pax = Vec::new();
        entry(&mut pax, "PaxHeaders/x", b'x', b"22 path=manifest.json\n");
        entry(&mut pax, "innocent", b'0', m);
        assert_eq!(names_of(&pax).unwrap().len(), 2);
        // an index's image names
        let mut oci = tar.clone();
        let idx = br#"{"manifests":[{"annotations":{"io.containerd.image.name":"docker.io/library/nginx:1","org.opencontainers.image.ref.name":"1"}}]}"#;
        entry(&mut oci, "index.json", b'0', idx);
        assert_eq!(names_of(&oci).unwrap()[2], "docker.io/library/nginx:1");
        // no manifest, a link for one, garbage: errors
        assert!(names_of(&[]).is_err());
        let mut link = Vec::new();
        entry(&mut link, "manifest.json", b'2', b"");
        assert!(names_of(&link).is_err());
        assert!(names_of(&[0x1f, 0x8b, 8, 0, 1, 2, 3]).is_err());
        // a long name and a pax path on one entry (readers differ on
        // which wins), an entry written through a link: refused
        let mut both = tar.clone();
        entry(&mut both, "././@LongLink", b'L', b"manifest.json\0");
        entry(&mut both, "PaxHeaders/y", b'x', b"11 path=zz\n");
        entry(&mut both, "zz", b'0', m);
        assert!(names_of(&both).unwrap_err().contains("both"));
        let mut through = tar.clone();
        entry(&mut through, "d", b'2', b"");
        entry(&mut through, "d/manifest.json", b'0', m);
        assert!(names_of(&through).unwrap_err().contains("under the link d"));
        assert_eq!(familiar("docker.io/library/busybox:1"), "busybox:1");
        assert_eq!(familiar("docker.io/om/x"), "om/x");
        assert_eq!(familiar("127.0.0.1:5000/x"), "127.0.0.1:5000/x");
    }
}
