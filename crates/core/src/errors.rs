//! Every error the core reports, with its stable code and its message, in one
//! place. Users match on the code (`err.code` in JavaScript); the message says
//! what happened and what to do next. Messages name TypeScript props where the
//! fix is a prop (`entry`, `binaryName`, `packageManagerType`...); the tool a
//! function builds with is called its "build tool" throughout.

use std::path::PathBuf;

/// The stable codes. Their names (`as_str`) are part of the public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// A cache folder that someone else could write: refused.
    CacheUnsafe,
    /// A bug in this package: a panic caught at the native boundary.
    InternalError,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 18] = [
        ErrorCode::EntryNotFound,
        ErrorCode::InvalidEntry,
        ErrorCode::UnknownBinary,
        ErrorCode::AmbiguousBinary,
        ErrorCode::LibraryOnly,
        ErrorCode::ManifestInvalid,
        ErrorCode::InvalidOption,
        ErrorCode::TargetMissing,
        ErrorCode::ToolMissing,
        ErrorCode::BuildFailed,
        ErrorCode::BinaryNotFound,
        ErrorCode::NotElf,
        ErrorCode::ArchMismatch,
        ErrorCode::GlibcTooNew,
        ErrorCode::FingerprintFailed,
        ErrorCode::StagingFailed,
        ErrorCode::CacheUnsafe,
        ErrorCode::InternalError,
    ];

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
            ErrorCode::CacheUnsafe => "CACHE_UNSAFE",
            ErrorCode::InternalError => "INTERNAL_ERROR",
        }
    }
}

/// `path` for messages.
fn shown(path: &std::path::Path) -> std::path::Display<'_> {
    path.display()
}

/// `items` as an indented bullet list, one per line.
fn bullets(items: &[String]) -> String {
    items.iter().map(|i| format!("  - {i}")).collect::<Vec<_>>().join("\n")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    // --- finding the crate ---------------------------------------------
    #[error(
        "no Cargo.toml found for this function. Looked at:\n{}\nCreate the crate at the first path, or set `entry` to a Cargo.toml (or the folder holding one).",
        bullets(.looked_at)
    )]
    EntryNotFound { looked_at: Vec<String> },

    #[error(
        "`entry` is the folder {} but it holds no Cargo.toml (looked for {}). Point `entry` at your crate's Cargo.toml or the folder holding it.",
        shown(.folder),
        shown(&.folder.join("Cargo.toml"))
    )]
    EntryFolderWithoutManifest { folder: PathBuf },

    #[error(
        "`entry` must be a Cargo.toml or the folder holding one, got the file {}. For a binary in `src/bin/`, set `entry` to the crate and `binaryName` to the binary.",
        shown(.file)
    )]
    EntryNotAManifest { file: PathBuf },

    #[error("`entry` {} does not exist. Point it at your crate's Cargo.toml or the folder holding it.", shown(.entry))]
    EntryMissing { entry: PathBuf },

    // --- choosing the binary -------------------------------------------
    #[error(
        "`binaryName` {name:?} is not a valid cargo binary name: use letters, digits, `-` and `_` only, not starting with `-`"
    )]
    InvalidBinaryName { name: String },

    #[error("`binaryName` {name:?} is reserved by cargo (a folder of its target directory): rename the binary")]
    ReservedBinaryName { name: String },

    #[error("no binary named `{name}` in the workspace at {}. Binaries that exist:\n{binaries}", shown(.workspace_root))]
    UnknownBinary { name: String, workspace_root: PathBuf, binaries: String },

    #[error(
        "several packages define a binary named `{name}`: {}. Set `entry` to the Cargo.toml of the one you mean.",
        .packages.join(", ")
    )]
    BinaryInSeveralPackages { name: String, packages: Vec<String> },

    #[error("{} is a virtual workspace: set `binaryName` to one of its binaries:\n{binaries}", shown(.manifest))]
    VirtualWorkspace { manifest: PathBuf, binaries: String },

    #[error(
        "package `{package}` has several binaries ({}) and none is named like the package: set `binaryName` to one of them.",
        .binaries.join(", ")
    )]
    SeveralBinaries { package: String, binaries: Vec<String> },

    #[error(
        "package `{package}` ({}) has no binary target, so it cannot be a Lambda function. Add `src/main.rs` (or a `[[bin]]`), or set `binaryName` to a binary of another workspace member.",
        shown(.manifest)
    )]
    LibraryOnly { package: String, manifest: PathBuf },

    // --- reading the workspace -----------------------------------------
    #[error("cargo cannot read {}:\n{cargo_says}{}", shown(.manifest), outside_workspace_hint(.outside_workspace))]
    ManifestInvalid {
        manifest: PathBuf,
        cargo_says: String,
        /// When the package sits inside a workspace that does not list it:
        /// that workspace's manifest and the package folder relative to it.
        outside_workspace: Option<(PathBuf, String)>,
    },

    #[error("`cargo metadata` failed for {}: {detail}", shown(.manifest))]
    MetadataFailed { manifest: PathBuf, detail: String },

    #[error("`cargo` was not found on PATH: install Rust with rustup (https://rustup.rs) and try again")]
    CargoMissing,

    #[error("`bundling.passEnvironment` names {name:?}, which is not a variable name: use letters, digits and `_`, not starting with a digit")]
    InvalidEnvironmentName { name: String },

    #[error("`bundling.passEnvironment` names `{name}`, but it is not set in the environment of this synth: set it, or remove it from `passEnvironment`")]
    PassedVariableUnset { name: String },

    #[error("`bundling.profile` {profile:?} cannot be a cargo profile: {why}")]
    InvalidProfile { profile: String, why: String },

    #[error(
        "`bundling.profile` `{profile}` is not defined: cargo knows dev, release, test and bench, and {} defines {}. Add a `[profile.{profile}]` table there, or pick one of these.",
        shown(.manifest),
        if .defined.is_empty() { "no others".to_string() } else { .defined.join(", ") }
    )]
    UnknownProfile { profile: String, manifest: PathBuf, defined: Vec<String> },

    #[error(
        "`--target-dir` in `bundling.extraBuildArgs` would move the build's output away from where it is taken: set `CARGO_TARGET_DIR` in `bundling.environment` instead (cargo-lambda refuses `--target-dir`, and this way resolution sees the same folder)"
    )]
    TargetDirArgument,

    #[error("`bundling.extraBuildArgs` give two {what}s, `{first}` and `{second}`: give one (cargo refuses both)")]
    ConflictingArguments { what: &'static str, first: String, second: String },

    #[error("`{flag}` in `bundling.extraBuildArgs` is set by the construct: use {instead}")]
    ArgumentOwnedByConstruct { flag: String, instead: &'static str },

    #[error("`{flag}` in `bundling.extraBuildArgs` needs a value after it")]
    ArgumentWithoutValue { flag: String },

    #[error(
        "`bundling.profile` `{prop}` and `bundling.extraBuildArgs` (profile `{arg}`) disagree: set the profile once, with `profile`"
    )]
    ConflictingProfiles { prop: String, arg: String },

    #[error(
        "`--target {target}` in `bundling.extraBuildArgs` builds for another machine than the function's `architecture` ({architecture}): set `architecture` instead, or a target of that architecture"
    )]
    TargetForOtherArchitecture { target: String, architecture: &'static str },

    // --- build tools ---------------------------------------------------
    #[error("`{tool}` is not on PATH, but the function asks for it (`packageManagerType`). Install it: {install}")]
    RequestedToolMissing { tool: &'static str, install: &'static str },

    #[error(
        "no local Rust Lambda build tool found on PATH. Install one:\n  - cargo-lambda: {}\n  - cargo-zigbuild: {}\nor use Docker bundling (`bundling.forceDockerBundling`).",
        crate::config::BuildTool::CargoLambda.install_hint(),
        crate::config::BuildTool::CargoZigbuild.install_hint()
    )]
    NoLocalTool,

    #[error(
        "the Rust standard library for {triple} is not installed in the toolchain at {sysroot}. Run:\n  rustup target add {triple}\n(from {}, so rustup picks the same toolchain)",
        shown(.cwd)
    )]
    TargetMissing { triple: String, sysroot: String, cwd: PathBuf },

    #[error(
        "PackageManagerType.CROSS runs Docker itself and cannot run inside Docker bundling: drop `forceDockerBundling`, or use CARGO_LAMBDA"
    )]
    CrossInDocker,

    // --- running commands ----------------------------------------------
    #[error("could not start `{command}`: {detail}")]
    CannotStart { command: String, detail: String, not_found: bool },

    #[error("waiting for `{command}` failed: {detail}")]
    WaitFailed { command: String, detail: String },

    #[error("`{command}` failed ({how}) in {}:\n{summary}", shown(.cwd))]
    CommandFailed { command: String, how: String, cwd: PathBuf, summary: String },

    #[error("{stage} hook failed: {cause}")]
    HookFailed { stage: &'static str, cause: Box<Error> },

    #[error(
        "cannot lock {} for the build: {detail}. The target directory must be writable: fix its permissions, or move it with `CARGO_TARGET_DIR`.",
        shown(.dir)
    )]
    TargetLock { dir: PathBuf, detail: String },

    #[error(
        "the build finished but {} does not exist. Does `CARGO_TARGET_DIR` or `build.target-dir` differ between this process and the build environment?",
        shown(.expected)
    )]
    BinaryNotFound { expected: PathBuf },

    // --- checking the binary -------------------------------------------
    #[error("cannot read the built binary `{}`: {detail}", shown(.path))]
    BinaryUnreadable { path: PathBuf, detail: String },

    #[error("{}not an ELF executable: {why}", .path.as_ref().map(|p| format!("`{}` is ", p.display())).unwrap_or_default())]
    NotElf { path: Option<PathBuf>, why: &'static str },

    #[error("`{binary}` is built for {found}, but the function's architecture needs {expected}.{}", arch_advice(*.target, *.matching_architecture))]
    ArchMismatch {
        binary: String,
        found: String,
        expected: String,
        /// The target triple that builds for `expected`.
        target: Option<&'static str>,
        /// The `lambda.Architecture` that would match the binary as built.
        matching_architecture: Option<&'static str>,
    },

    #[error(
        "`{binary}` needs GLIBC_{}.{}, but the `{runtime}` runtime has glibc {}.{}, so it would fail to start on Lambda. With cargo-lambda or cargo-zigbuild (PackageManagerType.CARGO_LAMBDA, CARGO_ZIGBUILD) this package builds for `{target}.{}.{}`, which Zig links against that glibc: a binary that needs more was built another way (`cross`, a custom Docker `command` or image, a plain `cargo build`). Build it with one of those two, or target `{}` (static, no glibc) with `--target` in `extraBuildArgs`.",
        .needs.0, .needs.1, .has.0, .has.1, .has.0, .has.1, .target.replace("-gnu", "-musl")
    )]
    GlibcTooNew { binary: String, needs: (u32, u32), runtime: String, has: (u32, u32), target: String },

    // --- hashing and staging -------------------------------------------
    #[error("cannot fingerprint `{}`: {detail}. The folder must exist and be readable.", shown(.dir))]
    FingerprintRoot { dir: PathBuf, detail: String },

    #[error(
        "cannot read `{}` while fingerprinting the function's sources: {detail}. Fix its permissions (e.g. `chmod -R u+rX` on it), or move it out of the package folder.",
        shown(.path)
    )]
    Unreadable { path: PathBuf, detail: String },

    #[error("could not {action} `{}`: {detail}", shown(.path))]
    Staging { action: String, path: PathBuf, detail: String },

    #[error("cannot clean the bundling output {}: {detail}. Check that CDK's output folder (cdk.out) is writable.", shown(.dir))]
    CleanOutput { dir: PathBuf, detail: String },

    // --- caches --------------------------------------------------------
    #[error(
        "the cache folder {} {why}, so another user could change what a synth builds and deploys. Set `CDK_LAMBDA_RUST_CACHE_DIR` to a folder only you can write (it is created with mode 0700), or, after checking its contents, make this one yours alone (`chown` it to yourself, `chmod 700` it).",
        shown(.path)
    )]
    UnsafeCacheDir { path: PathBuf, why: String },

    #[error("cannot create the cache folder {}: {detail}. Set `CDK_LAMBDA_RUST_CACHE_DIR` to a writable folder.", shown(.path))]
    CacheDirFailed { path: PathBuf, detail: String },

    // --- bugs ----------------------------------------------------------
    #[error("package `{package}` is not a member of the workspace at {}", shown(.workspace_root))]
    NotAMember { package: String, workspace_root: PathBuf },

    #[error("cdk-lambda-rust hit a bug ({what}). Please report it with the inputs that caused it.")]
    Panic { what: String },
}

fn arch_advice(target: Option<&str>, matching_architecture: Option<&str>) -> String {
    let Some(target) = target else { return String::new() };
    match matching_architecture {
        Some(arch) => format!(
            " Build it with `--target {target}`, or set the function's `architecture` to `{arch}` to match the binary."
        ),
        None => format!(" Build it with `--target {target}`."),
    }
}

fn outside_workspace_hint(outside: &Option<(PathBuf, String)>) -> String {
    match outside {
        Some((workspace_manifest, relative)) => format!(
            "\nThis package sits inside the workspace of {} and is not one of its members. Keep it out of that \
             workspace with `exclude = [\"{relative}\"]` in its `[workspace]` table (or list it in `members`), or give \
             the package its own empty `[workspace]` table.",
            workspace_manifest.display()
        ),
        None => String::new(),
    }
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        use Error::*;
        match self {
            EntryNotFound { .. } | EntryFolderWithoutManifest { .. } | EntryMissing { .. } => ErrorCode::EntryNotFound,
            EntryNotAManifest { .. } => ErrorCode::InvalidEntry,
            InvalidBinaryName { .. }
            | ReservedBinaryName { .. }
            | CrossInDocker
            | InvalidEnvironmentName { .. }
            | PassedVariableUnset { .. }
            | InvalidProfile { .. }
            | UnknownProfile { .. }
            | TargetDirArgument
            | ConflictingArguments { .. }
            | ArgumentWithoutValue { .. }
            | ArgumentOwnedByConstruct { .. }
            | ConflictingProfiles { .. }
            | TargetForOtherArchitecture { .. } => ErrorCode::InvalidOption,
            UnknownBinary { .. } => ErrorCode::UnknownBinary,
            BinaryInSeveralPackages { .. } | VirtualWorkspace { .. } | SeveralBinaries { .. } => {
                ErrorCode::AmbiguousBinary
            }
            LibraryOnly { .. } => ErrorCode::LibraryOnly,
            ManifestInvalid { .. } | MetadataFailed { .. } => ErrorCode::ManifestInvalid,
            CargoMissing | RequestedToolMissing { .. } | NoLocalTool => ErrorCode::ToolMissing,
            CannotStart { not_found: true, .. } => ErrorCode::ToolMissing,
            TargetMissing { .. } => ErrorCode::TargetMissing,
            CannotStart { .. } | WaitFailed { .. } | CommandFailed { .. } | HookFailed { .. } | TargetLock { .. } => {
                ErrorCode::BuildFailed
            }
            BinaryNotFound { .. } | BinaryUnreadable { .. } => ErrorCode::BinaryNotFound,
            NotElf { .. } => ErrorCode::NotElf,
            ArchMismatch { .. } => ErrorCode::ArchMismatch,
            GlibcTooNew { .. } => ErrorCode::GlibcTooNew,
            FingerprintRoot { .. } | Unreadable { .. } => ErrorCode::FingerprintFailed,
            Staging { .. } | CleanOutput { .. } => ErrorCode::StagingFailed,
            UnsafeCacheDir { .. } | CacheDirFailed { .. } => ErrorCode::CacheUnsafe,
            NotAMember { .. } | Panic { .. } => ErrorCode::InternalError,
        }
    }

    /// The message without the code.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// `[CODE] message`: the form that survives CDK re-wrapping an error as text.
    pub fn coded_message(&self) -> String {
        format!("[{}] {}", self.code().as_str(), self)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coded_message_leads_with_the_code() {
        let err = Error::UnknownBinary { name: "x".into(), workspace_root: "/ws".into(), binaries: "  - a: a".into() };
        assert_eq!(err.code(), ErrorCode::UnknownBinary);
        assert_eq!(
            err.coded_message(),
            "[UNKNOWN_BINARY] no binary named `x` in the workspace at /ws. Binaries that exist:\n  - a: a"
        );
    }

    #[test]
    fn code_names_are_unique_screaming_snake_case() {
        let names: std::collections::HashSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_uppercase() || c == '_')));
    }

    #[test]
    fn a_program_that_does_not_exist_is_a_missing_tool() {
        let err = |not_found| Error::CannotStart { command: "x".into(), detail: "d".into(), not_found };
        assert_eq!(err(true).code(), ErrorCode::ToolMissing);
        assert_eq!(err(false).code(), ErrorCode::BuildFailed);
    }
}
