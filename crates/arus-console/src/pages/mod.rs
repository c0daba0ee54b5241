//! One module per page (or page family); each renders server-side HTML and, where the page
//! has live parts, the JSON its script polls.

pub mod group;
pub mod groups;
pub mod messages;
pub mod overview;
pub mod topic;
pub mod topics;
