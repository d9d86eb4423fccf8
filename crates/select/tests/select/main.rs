//! Selection tests: one binary, one module per topic.

mod audit;
mod budget;
mod common;
mod consent;
mod policies;
