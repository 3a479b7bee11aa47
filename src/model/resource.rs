//! The resource kinds as one enum: a resource of any kind, as the plan and
//! the actions see it. An action dispatches on the kind in one place,
//! `resource` (its functions match on it; each kind acts in `resource::<kind>`).

use super::container::Container;
use super::head::Head;
use super::ip::Ip;
use super::volume::Volume;

/// A resource of any kind, as the plan and the actions see it: its head,
/// and its kind's own part to dispatch on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resource<'a> {
    Container(&'a Container),
    Ip(&'a Ip),
    Volume(&'a Volume),
}

impl<'a> Resource<'a> {
    pub fn head(self) -> &'a Head {
        match self {
            Resource::Container(c) => &c.head,
            Resource::Ip(i) => &i.head,
            Resource::Volume(v) => &v.head,
        }
    }

    pub fn container(self) -> Option<&'a Container> {
        match self {
            Resource::Container(c) => Some(c),
            Resource::Ip(_) | Resource::Volume(_) => None,
        }
    }

    /// The rids its kind makes it start after (the plan adds what its
    /// `start_requires` needs): a container after the holders of the
    /// namespaces it joins and the ip resources plumbed into them
    /// (`ips_of`: an ip's rids by holder), an ip after its holder.
    pub fn starts_after(
        self,
        ips_of: &std::collections::HashMap<&str, Vec<&'a str>>,
    ) -> Vec<&'a str> {
        match self {
            Resource::Container(c) => {
                let mut deps: Vec<&str> = c.depends_on.iter().map(String::as_str).collect();
                for holder in &c.depends_on {
                    if let Some(ips) = ips_of.get(holder.as_str()) {
                        deps.extend(ips);
                    }
                }
                deps
            }
            Resource::Ip(i) => vec![i.holder.as_str()],
            Resource::Volume(_) => Vec::new(),
        }
    }
}

/// The containers among `res`.
pub fn containers<'a>(res: &[Resource<'a>]) -> Vec<&'a Container> {
    res.iter().filter_map(|r| r.container()).collect()
}
