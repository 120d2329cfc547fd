//! Present so that cargo honours the build dependency in Cargo.toml.
fn main() {}
