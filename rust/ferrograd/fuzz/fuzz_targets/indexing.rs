//! Fuzz target: see `ferrograd_fuzz::driver::run_indexing` for what it checks.
//! Any panic, abort or sanitizer report is a failure.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Hostile sizes and indices (huge, negative, overflowing) are on.
    ferrograd_fuzz::driver::run_indexing(data, true);
});
