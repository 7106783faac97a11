//! Shared by the integration tests: the fixture crates, and a core whose
//! `cargo metadata` calls are counted and whose disk cache (if any) is the
//! test's own, never the user's `~/.cache`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cdk_lambda_rust_core::metadata::{CargoMetadata, MetadataReader, WorkspaceInfo};
use cdk_lambda_rust_core::metadata_cache::DiskCache;
use cdk_lambda_rust_core::{Core, Result};

/// `__test__/fixtures` of the repository.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../__test__/fixtures").canonicalize().unwrap()
}

/// Real `cargo metadata`, recording the folder of every run.
#[derive(Clone, Default)]
pub struct CountingCargo(Arc<Mutex<Vec<PathBuf>>>);

impl CountingCargo {
    /// How many runs happened in `dir` or below it.
    pub fn runs_under(&self, dir: &Path) -> usize {
        self.0.lock().unwrap().iter().filter(|cwd| cwd.starts_with(dir)).count()
    }
}

impl MetadataReader for CountingCargo {
    fn read(&self, manifest: &Path, cwd: &Path, env: &[(String, String)]) -> Result<WorkspaceInfo> {
        self.0.lock().unwrap().push(cwd.to_path_buf());
        CargoMetadata.read(manifest, cwd, env)
    }
}

/// A core of the test's own: counted cargo, and a disk cache in `disk` when given.
pub fn core(disk: Option<&Path>) -> (Core, CountingCargo) {
    let cargo = CountingCargo::default();
    let core = Core::new(Box::new(cargo.clone()), disk.map(|d| DiskCache::at(d.to_path_buf())));
    (core, cargo)
}

/// Copies fixture crates into `dir` (for tests that edit them).
pub fn copy_fixtures(dir: &Path, names: &[&str]) {
    for name in names {
        let status = std::process::Command::new("cp").arg("-r").arg(fixtures().join(name)).arg(dir).status().unwrap();
        assert!(status.success());
    }
}
