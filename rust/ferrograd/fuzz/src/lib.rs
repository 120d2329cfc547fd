//! Shared code of the fuzz targets: the byte decoder and runners in
//! `driver`, the naive model of PyTorch's semantics in `reference`.
pub mod driver;
pub mod reference;
