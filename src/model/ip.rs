//! The ip kind's data (SPEC 16): an address plumbed into the network
//! namespace a container holds. What acts on it is `resource::ip`.

use super::head::Head;
use std::net::IpAddr;

/// How the address reaches the host's network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// A veth pair, its host end on the bridge `ipdev`.
    #[default]
    Bridge,
    /// A macvlan child of `ipdev` (bridge mode: children talk to each
    /// other, not to their parent).
    Macvlan,
    IpvlanL2,
    IpvlanL3,
}

impl Mode {
    pub const WORDS: &'static [&'static str] = &["bridge", "macvlan", "ipvlan-l2", "ipvlan-l3"];

    pub fn parse(word: &str) -> Option<Mode> {
        match word {
            "bridge" => Some(Mode::Bridge),
            "macvlan" => Some(Mode::Macvlan),
            "ipvlan-l2" => Some(Mode::IpvlanL2),
            "ipvlan-l3" => Some(Mode::IpvlanL3),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Bridge => "bridge",
            Mode::Macvlan => "macvlan",
            Mode::IpvlanL2 => "ipvlan-l2",
            Mode::IpvlanL3 => "ipvlan-l3",
        }
    }
}

/// An ip resource: its head, and where its address goes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ip {
    pub head: Head,
    /// The container whose network namespace gets the address
    /// (`netns = container#M`).
    pub holder: String,
    /// An address, or a name resolved at each start (`ipname`).
    pub ipname: String,
    /// The prefix length (`netmask`, given as a length or dotted).
    pub prefix: u8,
    /// The host bridge (bridge mode) or the parent link.
    pub ipdev: String,
    pub mode: Mode,
    /// The default route's gateway in the namespace.
    pub gateway: Option<IpAddr>,
    /// The link's name inside the namespace.
    pub nsdev: String,
}

impl Ip {
    /// The label OpenSVC shows: `netns bridge 192.0.2.10/24 eth0@container#1`.
    pub fn label(&self) -> String {
        format!(
            "netns {} {}/{} {}@{}",
            self.mode.as_str(),
            self.ipname,
            self.prefix,
            self.nsdev,
            self.holder
        )
    }
}
