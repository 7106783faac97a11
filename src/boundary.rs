//! Errors and panics at the boundary. A core error becomes a JS `Error`
//! whose `code` is the error's stable code and whose message starts with
//! `[CODE]` (CDK re-wraps bundling errors as text, and the prefix survives
//! that). A panic becomes an `INTERNAL_ERROR` instead of taking the Node
//! process down.

use std::panic::{catch_unwind, AssertUnwindSafe};

use cdk_lambda_rust_core::{Error, ErrorCode};

/// The status napi puts on the JS error as `err.code`.
pub struct Code(pub ErrorCode);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

pub type Result<T> = napi::Result<T, Code>;

/// Runs `f` for a napi export: its error, or its panic, becomes a coded JS error.
pub fn guarded<T>(f: impl FnOnce() -> cdk_lambda_rust_core::Result<T>) -> Result<T> {
    catch_panics(f).map_err(|e| napi::Error::new(Code(e.code()), e.coded_message()))
}

/// Runs `f`, turning a panic into an `INTERNAL_ERROR`.
pub fn catch_panics<T>(f: impl FnOnce() -> cdk_lambda_rust_core::Result<T>) -> cdk_lambda_rust_core::Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(Error::Panic { what })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // (`guarded` builds a napi error, which needs Node's symbols; the pure half is tested.)
    #[test]
    fn panics_become_internal_errors_instead_of_aborting() {
        let err = catch_panics::<()>(|| panic!("index out of bounds")).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InternalError);
        assert!(err.coded_message().starts_with("[INTERNAL_ERROR] "), "{err}");
        assert!(err.message().contains("index out of bounds"));
        let err = catch_panics::<()>(|| panic!("{}", String::from("formatted"))).unwrap_err();
        assert!(err.message().contains("formatted"));
    }
}
