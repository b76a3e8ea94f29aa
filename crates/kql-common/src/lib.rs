//! Spans, diagnostics, KQL types and values shared by every stage of kql.
//!
//! Nothing here knows about parsing or execution; the other crates build on
//! these pieces so that a span found by the parser can be carried through the
//! planner into a runtime error, and a KQL type means the same thing everywhere.

pub mod diagnostic;
pub mod memory;
pub mod scan;
pub mod span;
pub mod suggest;
pub mod time;
pub mod types;
pub mod value;

pub use diagnostic::{Diagnostic, Label, Severity};

// The unit tests of `memory` count this crate's allocations.
#[cfg(test)]
#[global_allocator]
static COUNTING: memory::CountingAllocator = memory::CountingAllocator;
pub use scan::{ScanOp, ScanPredicate};
pub use span::{Span, Spanned};
pub use types::KqlType;
pub use value::ScalarValue;
