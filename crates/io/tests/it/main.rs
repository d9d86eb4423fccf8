//! Integration tests of tierank-io, one module per topic.

mod common;
mod fuzz_crashes;
mod load;
mod load_errors;
mod rankings;
mod share;
mod snapshot;
mod targets;
mod truth;
mod window;
