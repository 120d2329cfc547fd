//! The core's integration tests. They form one binary so the crate is linked
//! once: each test binary carries a full copy of it, and separate binaries
//! multiplied the build's disk use.

// The fuzz targets' program decoder and naive model, shared with the
// property tests so a failing fuzz input replays here as a byte vector.
#[path = "../../fuzz/src/driver.rs"]
mod driver;
#[path = "../../fuzz/src/reference.rs"]
mod reference;

mod common;
mod gradcheck;

mod arena;
mod compositions;
mod engine;
mod index_items;
mod inplace_math;
mod prop_layout;
mod read_only_storage;
mod typed_errors;
mod window_params;
