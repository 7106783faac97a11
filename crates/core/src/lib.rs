//! The core of cdk-lambda-rust: everything but the Node.js boundary. Entry
//! resolution, workspace metadata, source fingerprints, build commands,
//! shared builds, ELF checks and the deterministic zip, each in its module,
//! with no napi dependency (the root crate is the binding).

pub mod artifact;
pub mod asset_hash;
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

    /// The process's core: `cargo metadata`, cached in the package's cache folder.
    pub fn shared() -> &'static Core {
        static SHARED: OnceLock<Core> = OnceLock::new();
        SHARED.get_or_init(|| Core::new(Box::new(CargoMetadata), DiskCache::default_location()))
    }
}
