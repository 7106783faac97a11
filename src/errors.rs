//! Errors that cross the native boundary. Every error carries a stable `code`
//! users can match on (`err.code` in JavaScript) and a message that says what
//! to do next.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// No Cargo.toml where we looked.
    EntryNotFound,
    /// `entry` is neither a Cargo.toml nor a folder holding one.
    InvalidEntry,
    /// `binaryName` names no binary target of the workspace.
    UnknownBinary,
    /// A package with several binaries and no `binaryName`.
    AmbiguousBinary,
    /// The selected package has no binary target at all.
    LibraryOnly,
    /// `cargo metadata` rejected the manifest (syntax, workspace membership...).
    ManifestInvalid,
    /// A prop value that can never work (e.g. a binary name cargo would refuse).
    InvalidOption,
    /// The rustup target for the function's architecture is not installed.
    TargetMissing,
    /// No local build tool (cargo-lambda, cargo-zigbuild, cross) can be found.
    ToolMissing,
    /// The build command ran and failed.
    BuildFailed,
    /// The build succeeded but the binary is not where cargo puts it.
    BinaryNotFound,
    /// The built file is not an ELF executable.
    NotElf,
    /// The binary was built for another machine than the function's architecture.
    ArchMismatch,
    /// The binary needs a newer glibc than the Lambda runtime provides.
    GlibcTooNew,
    /// A source file could not be read while fingerprinting.
    FingerprintFailed,
    /// Writing the asset into CDK's output folder failed.
    StagingFailed,
    /// A bug in this package: a panic caught at the native boundary.
    InternalError,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::EntryNotFound => "ENTRY_NOT_FOUND",
            ErrorCode::InvalidEntry => "INVALID_ENTRY",
            ErrorCode::UnknownBinary => "UNKNOWN_BINARY",
            ErrorCode::AmbiguousBinary => "AMBIGUOUS_BINARY",
            ErrorCode::LibraryOnly => "LIBRARY_ONLY",
            ErrorCode::ManifestInvalid => "MANIFEST_INVALID",
            ErrorCode::InvalidOption => "INVALID_OPTION",
            ErrorCode::TargetMissing => "TARGET_MISSING",
            ErrorCode::ToolMissing => "TOOL_MISSING",
            ErrorCode::BuildFailed => "BUILD_FAILED",
            ErrorCode::BinaryNotFound => "BINARY_NOT_FOUND",
            ErrorCode::NotElf => "NOT_ELF",
            ErrorCode::ArchMismatch => "ARCH_MISMATCH",
            ErrorCode::GlibcTooNew => "GLIBC_TOO_NEW",
            ErrorCode::FingerprintFailed => "FINGERPRINT_FAILED",
            ErrorCode::StagingFailed => "STAGING_FAILED",
            ErrorCode::InternalError => "INTERNAL_ERROR",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreError {
    pub code: ErrorCode,
    pub message: String,
}

impl CoreError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CoreError { code, message: message.into() }
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for CoreError {}

pub type CoreResult<T> = Result<T, CoreError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_leads_with_the_code() {
        let err = CoreError::new(ErrorCode::UnknownBinary, "no binary `x`");
        assert_eq!(err.to_string(), "[UNKNOWN_BINARY] no binary `x`");
    }
}
