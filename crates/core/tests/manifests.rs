//! The manifest reader (for machines without cargo) against `cargo metadata`,
//! on every fixture manifest and on workspaces shaped to reach each rule: the
//! two must describe every workspace the same way, so the asset hashes agree.

mod common;

use std::path::{Path, PathBuf};

use cdk_lambda_rust_core::manifests::ManifestReader;
use cdk_lambda_rust_core::metadata::{CargoMetadata, MetadataReader, WorkspaceInfo};
use common::fixtures;

/// Order-free form: members by manifest, their bins and path deps sorted.
fn normalized(mut ws: WorkspaceInfo) -> WorkspaceInfo {
    ws.members.sort_by(|a, b| a.manifest_path.cmp(&b.manifest_path));
    for m in &mut ws.members {
        m.bins.sort();
        m.path_deps.sort();
    }
    ws
}

/// Both readers on `manifest`, run from the workspace root as builds are.
fn both(manifest: &Path, env: &[(String, String)]) -> (Result<WorkspaceInfo, String>, Result<WorkspaceInfo, String>) {
    let read = |r: &dyn MetadataReader| {
        let first = r.read(manifest, manifest.parent().unwrap(), env).map_err(|e| e.code().as_str().to_string())?;
        r.read(manifest, &first.workspace_root, env).map(normalized).map_err(|e| e.code().as_str().to_string())
    };
    (read(&CargoMetadata), read(&ManifestReader))
}

fn assert_same(manifest: &Path, env: &[(String, String)]) {
    let (cargo, ours) = both(manifest, env);
    assert_eq!(ours, cargo, "{}", manifest.display());
}

fn all_manifests(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() && entry.file_name() != "target" {
            all_manifests(&path, out);
        } else if entry.file_name() == "Cargo.toml" {
            out.push(path);
        }
    }
}

#[test]
fn every_fixture_reads_the_same_as_cargo_metadata() {
    let mut manifests = Vec::new();
    all_manifests(&fixtures(), &mut manifests);
    assert!(manifests.len() >= 15, "{manifests:?}");
    for manifest in manifests {
        assert_same(&manifest, &[]);
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const PKG: &str = "version = \"0.1.0\"\nedition = \"2021\"\n";

#[test]
fn discovered_and_declared_binaries_libraries_and_autobins() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write(r, "Cargo.toml", "[workspace]\nmembers = [\"crates/*\", \"tools/cli\"]\nexclude = [\"crates/skipped\"]\n");
    write(
        r,
        "crates/a/Cargo.toml",
        &format!("[package]\nname = \"a\"\n{PKG}\n[[bin]]\nname = \"extra\"\npath = \"src/extra.rs\"\n"),
    );
    write(r, "crates/a/src/main.rs", "fn main() {}");
    write(r, "crates/a/src/extra.rs", "fn main() {}");
    write(r, "crates/a/src/bin/one.rs", "fn main() {}");
    write(r, "crates/a/src/bin/two/main.rs", "fn main() {}");
    write(r, "crates/a/src/bin/notes.txt", "not a target");
    write(r, "crates/b/Cargo.toml", &format!("[package]\nname = \"b-lib\"\n{PKG}autobins = false\n"));
    write(r, "crates/b/src/lib.rs", "");
    write(r, "crates/b/src/main.rs", "fn main() {}");
    write(r, "crates/skipped/Cargo.toml", &format!("[package]\nname = \"skipped\"\n{PKG}\n[workspace]\n"));
    write(r, "crates/skipped/src/main.rs", "fn main() {}");
    write(r, "tools/cli/Cargo.toml", &format!("[package]\nname = \"cli\"\n{PKG}\n[lib]\npath = \"src/cli.rs\"\n"));
    write(r, "tools/cli/src/cli.rs", "");
    for m in [
        "Cargo.toml",
        "crates/a/Cargo.toml",
        "crates/b/Cargo.toml",
        "crates/skipped/Cargo.toml",
        "tools/cli/Cargo.toml",
    ] {
        assert_same(&r.join(m), &[]);
    }
}

#[test]
fn path_dependencies_lambda_detection_and_inheritance() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    let ws = r.join("ws");
    write(r, "outside/Cargo.toml", &format!("[package]\nname = \"outside\"\n{PKG}"));
    write(r, "outside/src/lib.rs", "");
    write(
        &ws,
        "Cargo.toml",
        &format!(
            "[package]\nname = \"root-app\"\n{PKG}\n[workspace]\nmembers = [\"fns/*\"]\n\n[workspace.dependencies]\nshared = {{ path = \"libs/shared\" }}\nlambda_runtime = \"0.13\"\n\n[dependencies]\nhelper = {{ path = \"libs/helper\" }}\n"
        ),
    );
    write(&ws, "src/main.rs", "fn main() {}");
    write(&ws, "libs/helper/Cargo.toml", &format!("[package]\nname = \"helper\"\n{PKG}"));
    write(&ws, "libs/helper/src/lib.rs", "");
    write(
        &ws,
        "libs/shared/Cargo.toml",
        &format!("[package]\nname = \"shared\"\n{PKG}\n[dependencies]\noutside = {{ path = \"../../../outside\" }}\n"),
    );
    write(&ws, "libs/shared/src/lib.rs", "");
    write(
        &ws,
        "fns/api/Cargo.toml",
        &format!("[package]\nname = \"api\"\n{PKG}\n[dependencies]\nshared.workspace = true\nlambda_runtime.workspace = true\n\n[dev-dependencies]\ntestkit = {{ path = \"../../../outside\" }}\n"),
    );
    write(&ws, "fns/api/src/main.rs", "fn main() {}");
    write(
        &ws,
        "fns/http/Cargo.toml",
        &format!("[package]\nname = \"http\"\n{PKG}\n[target.'cfg(unix)'.dependencies]\nweb = {{ package = \"lambda_http\", version = \"0.13\" }}\n\n[build-dependencies]\nhelper = {{ path = \"../../libs/helper\" }}\n"),
    );
    write(&ws, "fns/http/src/main.rs", "fn main() {}");
    write(&ws, "fns/tool/Cargo.toml", &format!("[package]\nname = \"tool\"\n{PKG}\n[build-dependencies]\nlambda_runtime = \"0.13\"\n\n[package.metadata.other]\n"));
    write(&ws, "fns/tool/src/main.rs", "fn main() {}");
    for m in
        ["Cargo.toml", "fns/api/Cargo.toml", "fns/http/Cargo.toml", "fns/tool/Cargo.toml", "libs/shared/Cargo.toml"]
    {
        assert_same(&ws.join(m), &[]);
    }
    assert_same(&r.join("outside/Cargo.toml"), &[]);
}

#[test]
fn target_directories_from_environment_and_config() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write(r, "Cargo.toml", &format!("[package]\nname = \"solo\"\n{PKG}"));
    write(r, "src/main.rs", "fn main() {}");
    let m = r.join("Cargo.toml");
    assert_same(&m, &[]);
    assert_same(&m, &[("CARGO_TARGET_DIR".into(), "relative/out".into())]);
    assert_same(&m, &[("CARGO_TARGET_DIR".into(), "/tmp/absolute-out".into())]);
    write(r, ".cargo/config.toml", "[build]\ntarget-dir = \"from-config\"\n");
    assert_same(&m, &[]);
    assert_same(&m, &[("CARGO_BUILD_TARGET_DIR".into(), "from-env".into())]);
}

#[test]
fn packages_a_workspace_does_not_list_are_refused_alike() {
    let (cargo, ours) = both(&fixtures().join("non_member/stray/Cargo.toml"), &[]);
    assert_eq!(cargo.unwrap_err(), "MANIFEST_INVALID");
    assert_eq!(ours.unwrap_err(), "MANIFEST_INVALID");
    let (cargo, ours) = both(&fixtures().join("malformed/Cargo.toml"), &[]);
    assert_eq!((cargo.unwrap_err(), ours.unwrap_err()), ("MANIFEST_INVALID".into(), "MANIFEST_INVALID".into()));
}
