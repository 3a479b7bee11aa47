//! The resource kinds as one enum: a resource of any kind, as the plan and
//! the actions see it. An action dispatches on the kind in one place,
//! `resource` (its functions match on it; each kind acts in `resource::<kind>`).

use super::container::Container;
use super::head::Head;
use super::ip::Ip;

/// A resource of any kind, as the plan and the actions see it: its head,
/// and its kind's own part to dispatch on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resource<'a> {
    Container(&'a Container),
    Ip(&'a Ip),
}

impl<'a> Resource<'a> {
    pub fn head(self) -> &'a Head {
        match self {
            Resource::Container(c) => &c.head,
            Resource::Ip(i) => &i.head,
        }
    }

    pub fn container(self) -> Option<&'a Container> {
        match self {
            Resource::Container(c) => Some(c),
            Resource::Ip(_) => None,
        }
    }
}

/// The containers among `res`.
pub fn containers<'a>(res: &[Resource<'a>]) -> Vec<&'a Container> {
    res.iter().filter_map(|r| r.container()).collect()
}
