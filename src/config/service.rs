//! Raw, then typed: a `Document` (strings as read) becomes a validated
//! `Service` (`model::Service`) whose containers carry typed fields. Only
//! this reaches the driver. `check` checks a document and `build` types
//! it, its resource sections read by `sections`; here are the rids of a
//! document's sections.

use super::ini::Document;
use super::keywords::{section_kind, SectionKind};
use super::value::natural_key;

/// The container resources of a config, in natural rid order.
pub fn container_rids(doc: &Document) -> Vec<&str> {
    rids_of(doc, SectionKind::Container)
}

/// The resources of one kind in a config, in natural rid order.
pub fn rids_of(doc: &Document, kind: SectionKind) -> Vec<&str> {
    let mut rids: Vec<&str> = doc
        .section_names()
        .filter(|s| section_kind(s).as_ref() == Some(&kind))
        .collect();
    rids.sort_by_key(|r| natural_key(r));
    rids
}
