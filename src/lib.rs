//! Native core of cdk-lambda-rust. Modules hold the logic; `napi_api` is the
//! thin boundary that Node.js calls.

pub mod artifact;
pub mod asset_hash;
pub mod bundler;
pub mod command;
pub mod docker;
pub mod elf;
pub mod entry;
pub mod errors;
pub mod fingerprint;
pub mod metadata;
pub mod metadata_cache;
pub mod napi_api;
pub mod runner;
pub mod target;

// Resolution rules checked against the fixture crates in `__test__/fixtures`.
// A unit-test module, not `tests/`: integration tests link the rlib without
// Node's napi symbols.
#[cfg(test)]
mod resolution_tests;

// Property tests over every rule that takes user input (see scripts/fuzz.sh).
#[cfg(test)]
mod fuzz_tests;
