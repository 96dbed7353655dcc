//! Small data sets bundled with brainburn for examples and tests.

pub mod chaos;
pub mod digits;

pub use digits::Digits;
