//! Resolves names and types in a KQL syntax tree and lowers it into a
//! logical plan.
//!
//! The planner checks every table, column and function name and every
//! operand type before anything runs, and reports problems as diagnostics
//! pointing at the query text (`kql::plan::…`).

pub mod cast;
pub mod functions;
pub mod optimize;
pub mod plan;
pub mod resolve;
pub mod rowops;

pub use plan::{Column, LogicalPlan, PlanExpr, PlanExprKind, Schema};
pub use resolve::{plan_query, Catalog, PlannedQuery};
