//! Native core of cdk-lambda-rust. Modules hold the logic; `napi_api` is the
//! thin boundary that Node.js calls.

pub mod errors;

use napi_derive::napi;

#[napi]
pub fn ping() -> String {
    "pong".to_string()
}
