//! The core of cdk-lambda-rust: everything but the Node.js boundary. Entry
//! resolution, workspace metadata, source fingerprints, build commands,
//! shared builds, ELF checks and the deterministic zip, each in its module,
//! with no napi dependency (the root crate is the binding).

pub mod artifact;
pub mod asset_hash;
pub mod asset_store;
pub mod atomic;
pub mod build_options;
pub mod bundler;
pub mod cache_dir;
pub mod command;
pub mod config;
pub mod docker;
pub mod elf;
pub mod entry;
pub mod errors;
pub mod fingerprint;
pub mod freshness;
pub mod manifests;
pub mod metadata;
pub mod metadata_cache;
pub mod passed_env;
pub mod progress;
pub mod resolve;
pub mod runner;
pub mod target;
pub mod toolchain;

use std::sync::OnceLock;

use crate::bundler::Builds;
use crate::metadata::{CargoMetadata, MetadataReader, Workspaces};
use crate::metadata_cache::DiskCache;

pub use crate::errors::{Error, ErrorCode, Result};

/// What the core keeps between calls: the workspaces read and the binaries
/// built. The binding uses one for the whole process (`Core::shared`);
/// tests make their own, with their own metadata reader and cache folder.
pub struct Core {
    pub workspaces: Workspaces,
    pub builds: Builds,
}

impl Core {
    pub fn new(reader: Box<dyn MetadataReader>, disk: Option<DiskCache>) -> Core {
        Core { workspaces: Workspaces::new(reader, disk), builds: Builds::default() }
    }

    /// The process's core: `cargo metadata` when cargo is on PATH (cargo is
    /// the source of truth), else the manifests read directly (machines
    /// without Rust: the same answers, see `manifests`); cached in the
    /// package's cache folder.
    pub fn shared() -> &'static Core {
        static SHARED: OnceLock<Core> = OnceLock::new();
        SHARED.get_or_init(|| {
            let has_cargo = toolchain::find_on_path("cargo", std::env::var_os("PATH").as_deref()).is_some();
            let reader: Box<dyn MetadataReader> =
                if has_cargo { Box::new(CargoMetadata) } else { Box::new(manifests::ManifestReader) };
            Core::new(reader, DiskCache::default_location())
        })
    }
}
