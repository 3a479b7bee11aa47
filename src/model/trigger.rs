//! Triggers' data (SPEC 14): the `pre_`, `blocking_pre_`, `post_`,
//! `blocking_post_` × `start`, `stop`, `provision`, `unprovision` keywords
//! of a section, as written. Running them is `resource::trigger`.

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Pre,
    BlockingPre,
    Post,
    BlockingPost,
}

impl When {
    pub const ALL: [When; 4] = [When::Pre, When::BlockingPre, When::Post, When::BlockingPost];

    pub fn prefix(self) -> &'static str {
        match self {
            When::Pre => "pre",
            When::BlockingPre => "blocking_pre",
            When::Post => "post",
            When::BlockingPost => "blocking_post",
        }
    }

    pub fn blocking(self) -> bool {
        matches!(self, When::BlockingPre | When::BlockingPost)
    }
}

/// `trigger_timeout`'s default: how long a trigger may run.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The actions triggers are around.
pub const ACTIONS: [&str; 4] = ["start", "stop", "provision", "unprovision"];

/// `blocking_pre_start` and the like.
pub fn keyword(when: When, action: &str) -> String {
    format!("{}_{action}", when.prefix())
}

/// Every trigger keyword.
pub fn keywords() -> Vec<String> {
    let mut out = Vec::new();
    for action in ACTIONS {
        for when in When::ALL {
            out.push(keyword(when, action));
        }
    }
    out
}

/// A section's triggers, as written, and their bound.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Triggers {
    /// `(keyword, command)`.
    pub list: Vec<(String, String)>,
}

impl Triggers {
    pub fn get(&self, when: When, action: &str) -> Option<&str> {
        let kw = keyword(when, action);
        self.list
            .iter()
            .find(|(k, _)| *k == kw)
            .map(|(_, c)| c.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigger_keyword_is_its_moment_and_its_action() {
        assert_eq!(
            keyword(When::BlockingPost, "unprovision"),
            "blocking_post_unprovision"
        );
        assert_eq!(keywords().len(), 16);
    }
}
