//! The container kind's data is `model::Container`.

pub use crate::model::container::Container;
