//! Every differentiable op of the core, family by family: gradients checked
//! against central finite differences in float64 (see `common/gradcheck.rs`),
//! and a few forward values against hand-computed expectations.

mod activations;
mod binary;
mod checker;
mod conv;
mod indexing;
mod inplace;
mod linalg;
mod losses;
mod norms;
mod pooling;
mod reductions;
mod shape;
mod unary;
