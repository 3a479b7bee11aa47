//! Node names as a config lists them.

/// Whether `name`, as a config lists it, is this node (`local`): its full
/// name or its first label (`deb1` for `deb1.opensvc.com`), as `kw@NODE`
/// scoping reads it. Never asked over ssh: it answers in process.
pub fn is_local(name: &str, local: &str) -> bool {
    let first = |n: &str| n.split('.').next().unwrap_or(n).to_string();
    name == local
        || (!name.contains('.') && first(local) == name)
        || (!local.contains('.') && first(name) == local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_node_by_its_full_name_or_its_first_label() {
        assert!(is_local("deb1.opensvc.com", "deb1.opensvc.com"));
        assert!(is_local("deb1", "deb1.opensvc.com"));
        assert!(!is_local("deb2", "deb1.opensvc.com"));
        assert!(!is_local("deb1.other.com", "deb1.opensvc.com"));
        // a short host name and a full name in the config
        assert!(is_local("deb1.opensvc.com", "deb1"));
    }
}
