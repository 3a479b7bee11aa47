//! What an action touched, by rid: kept apart from the per-action context
//! (`context::Context`) it is written during the action, by the kinds, and
//! read by the rollback and the restart of namespace joiners.

use std::collections::HashSet;
use std::sync::Mutex;

#[derive(Default)]
pub struct Touched {
    /// The resources this action ran, started or was finishing the start
    /// of: only those are rolled back when they fail, never a container
    /// the action refused to touch (renamed, say).
    touched: Mutex<Vec<String>>,
    /// The containers `deploy --force` recreated: who joined their
    /// namespaces must be recreated after them.
    recreated: Mutex<Vec<String>>,
    /// The resources half-made (an ip resource's link, between its
    /// creation and the end of its start): a signal there leaves them to
    /// the rollback (see `resource::undo_cut_short`).
    half_made: Mutex<HashSet<String>>,
}

impl Touched {
    /// Marks a resource of any kind as this action's.
    pub fn mark(&self, rid: &str) {
        if let Ok(mut t) = self.touched.lock() {
            t.push(rid.to_string());
        }
    }

    /// Whether this action ran, started or finished starting `rid`.
    pub fn contains(&self, rid: &str) -> bool {
        self.touched
            .lock()
            .is_ok_and(|t| t.iter().any(|r| r == rid))
    }

    /// Whether this action touched any resource.
    pub fn any(&self) -> bool {
        self.touched.lock().is_ok_and(|t| !t.is_empty())
    }

    /// The rids this action ran, started or was finishing the start of.
    pub fn rids(&self) -> HashSet<String> {
        self.touched
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// A container `deploy --force` recreated.
    pub fn mark_recreated(&self, rid: &str) {
        if let Ok(mut r) = self.recreated.lock() {
            r.push(rid.to_string());
        }
    }

    /// Whether any of `rids` was recreated by this action.
    pub fn recreated_any(&self, rids: &[String]) -> bool {
        self.recreated
            .lock()
            .is_ok_and(|r| rids.iter().any(|d| r.contains(d)))
    }

    /// `rid` half-made (`true`), or made or undone (`false`).
    pub fn half_made(&self, rid: &str, on: bool) {
        if let Ok(mut p) = self.half_made.lock() {
            if on {
                p.insert(rid.to_string());
            } else {
                p.remove(rid);
            }
        }
    }

    /// Whether a signal stopped the making of `rid`, leaving it half-made.
    pub fn cut_short(&self, rid: &str) -> bool {
        self.half_made.lock().is_ok_and(|p| p.contains(rid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_an_action_touched_is_told_by_rid() {
        let t = Touched::default();
        assert!(!t.any() && !t.contains("container#1"));
        t.mark("container#1");
        assert!(t.any() && t.contains("container#1") && !t.contains("container#2"));
        assert_eq!(t.rids(), HashSet::from(["container#1".to_string()]));
        // recreated: told for a joiner's holders
        assert!(!t.recreated_any(&["container#1".into()]));
        t.mark_recreated("container#1");
        assert!(t.recreated_any(&["container#9".into(), "container#1".into()]));
        assert!(!t.recreated_any(&["container#2".into()]));
        // half-made until made or undone: only then cut short by a signal
        t.half_made("ip#1", true);
        assert!(t.cut_short("ip#1") && !t.cut_short("ip#2"));
        t.half_made("ip#1", false);
        assert!(!t.cut_short("ip#1"));
    }
}
