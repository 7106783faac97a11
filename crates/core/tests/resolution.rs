//! Entry resolution against the real fixture crates in `__test__/fixtures`,
//! through `cargo metadata --no-deps`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cdk_lambda_rust_core::entry::{find_manifest, EntryRequest};
use cdk_lambda_rust_core::metadata::{relative_inside, source_package_dirs, source_root, WorkspaceInfo};
use cdk_lambda_rust_core::resolve::{resolve_function, ResolveRequest};
use cdk_lambda_rust_core::ErrorCode;
use common::{copy_fixtures, fixtures};

fn resolve(entry: &Path, binary: Option<&str>) -> Result<(String, String), (ErrorCode, String)> {
    let (core, _) = common::core(None);
    let request = ResolveRequest {
        entry: Some(entry.to_path_buf()),
        binary_name: binary.map(String::from),
        cwd: fixtures(),
        ..Default::default()
    };
    let resolved = resolve_function(&core.workspaces, &request).map_err(|e| (e.code(), e.message()))?;
    Ok((resolved.package_name, resolved.binary_name))
}

fn load_workspace(manifest: &Path, env: &[(String, String)]) -> cdk_lambda_rust_core::Result<Arc<WorkspaceInfo>> {
    let (core, _) = common::core(None);
    core.workspaces.load(manifest, env)
}

#[test]
fn single_package_defaults_to_the_package_binary() {
    assert_eq!(resolve(&fixtures().join("single"), None).unwrap(), ("single-fn".into(), "single-fn".into()));
    let via_manifest = resolve(&fixtures().join("single/Cargo.toml"), None).unwrap();
    assert_eq!(via_manifest.1, "single-fn");
}

#[test]
fn relative_entries_are_taken_from_the_working_directory() {
    assert_eq!(resolve(Path::new("single"), None).unwrap().1, "single-fn");
}

#[test]
fn virtual_workspace_members_are_found_by_binary_name() {
    let root = fixtures().join("workspace");
    assert_eq!(resolve(&root, Some("alpha")).unwrap(), ("alpha".into(), "alpha".into()));
    assert_eq!(resolve(&root, Some("beta")).unwrap(), ("beta".into(), "beta".into()));
    // An entry pointing at a member selects it without binaryName.
    assert_eq!(resolve(&root.join("members/beta"), None).unwrap().0, "beta");
}

#[test]
fn a_virtual_root_without_binary_name_lists_the_binaries() {
    let (code, message) = resolve(&fixtures().join("workspace"), None).unwrap_err();
    assert_eq!(code, ErrorCode::AmbiguousBinary);
    assert!(message.contains("alpha: alpha") && message.contains("beta: beta"), "{message}");
}

#[test]
fn unknown_binary_lists_what_exists() {
    let (code, message) = resolve(&fixtures().join("workspace"), Some("gamma")).unwrap_err();
    assert_eq!(code, ErrorCode::UnknownBinary);
    assert!(message.contains("`gamma`") && message.contains("alpha") && message.contains("beta"), "{message}");
    assert!(!message.contains("shared:"), "library members have no binaries to list: {message}");
}

#[test]
fn multi_bin_packages_expose_explicit_and_discovered_binaries() {
    let entry = fixtures().join("multi_bin");
    for bin in ["first", "second", "third"] {
        assert_eq!(resolve(&entry, Some(bin)).unwrap(), ("multi-bin".into(), bin.into()));
    }
    let (code, message) = resolve(&entry, None).unwrap_err();
    assert_eq!(code, ErrorCode::AmbiguousBinary);
    assert!(message.contains("first") && message.contains("second") && message.contains("third"), "{message}");
}

#[test]
fn library_only_packages_are_refused() {
    let (code, message) = resolve(&fixtures().join("lib_only"), None).unwrap_err();
    assert_eq!(code, ErrorCode::LibraryOnly);
    assert!(message.contains("lib-only"), "{message}");
}

#[test]
fn malformed_manifests_show_cargos_message() {
    let (code, message) = resolve(&fixtures().join("malformed"), None).unwrap_err();
    assert_eq!(code, ErrorCode::ManifestInvalid);
    assert!(message.contains("malformed/Cargo.toml"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn a_crate_its_workspace_does_not_list_gets_cargos_message_and_a_hint() {
    let (code, message) = resolve(&fixtures().join("non_member/stray"), None).unwrap_err();
    assert_eq!(code, ErrorCode::ManifestInvalid);
    assert!(message.contains("believes it's in a workspace"), "{message}");
    assert!(message.contains("`members`"), "{message}");
    let workspace = fixtures().join("non_member/Cargo.toml");
    assert!(message.contains(&format!("inside the workspace of {}", workspace.display())), "{message}");
    assert!(message.contains(r#"exclude = ["stray"]"#), "{message}");
}

#[test]
fn missing_entries_say_where_they_looked() {
    let (code, message) = resolve(&fixtures().join("nope"), None).unwrap_err();
    assert_eq!(code, ErrorCode::EntryNotFound);
    assert!(message.contains("fixtures/nope"), "{message}");
    let (code, _) = resolve(&fixtures().join("single/src/main.rs"), None).unwrap_err();
    assert_eq!(code, ErrorCode::InvalidEntry);
}

#[test]
fn default_entry_follows_the_defining_file_convention() {
    let dir = fixtures().join("default_entry");
    let manifest = find_manifest(&EntryRequest {
        defining_file: Some(dir.join("my-construct.ts")),
        id: Some("my_function".into()),
        entry: None,
        cwd: PathBuf::from("/"),
    })
    .unwrap();
    assert_eq!(manifest, dir.join("my-construct.my_function/Cargo.toml"));
}

#[test]
fn target_directory_honours_cargo_target_dir() {
    let manifest = fixtures().join("single/Cargo.toml");
    let default = load_workspace(&manifest, &[]).unwrap();
    assert_eq!(default.target_directory, fixtures().join("single/target"));
    let moved = load_workspace(&manifest, &[("CARGO_TARGET_DIR".into(), "/tmp/elsewhere".into())]).unwrap();
    assert_eq!(moved.target_directory, Path::new("/tmp/elsewhere"));
}

#[test]
fn path_dependencies_feed_the_fingerprint_transitively() {
    let manifest = fixtures().join("workspace/Cargo.toml");
    let ws = load_workspace(&manifest, &[]).unwrap();
    let beta = ws.members.iter().find(|p| p.name == "beta").unwrap();
    let (core, _) = common::core(None);
    let dirs = source_package_dirs(&core.workspaces, &ws, beta, &[]).unwrap();
    let names: Vec<String> = dirs.iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names.contains(&"beta".into()) && names.contains(&"shared".into()) && names.contains(&"mini_lambda".into())
    );
    let alpha = ws.members.iter().find(|p| p.name == "alpha").unwrap();
    assert_eq!(source_package_dirs(&core.workspaces, &ws, alpha, &[]).unwrap().len(), 2);
}

#[test]
fn lambda_members_are_told_apart_from_libraries() {
    let ws = load_workspace(&fixtures().join("workspace/Cargo.toml"), &[]).unwrap();
    let lambda: Vec<(&str, bool)> = ws.members.iter().map(|p| (p.name.as_str(), p.is_lambda)).collect();
    assert!(lambda.contains(&("alpha", true)) && lambda.contains(&("beta", true)), "{lambda:?}");
    assert!(lambda.contains(&("shared", false)), "{lambda:?}");
}

#[test]
fn the_source_root_holds_path_dependencies_outside_the_workspace() {
    let (core, _) = common::core(None);
    let ws = core.workspaces.load(&fixtures().join("workspace/Cargo.toml"), &[]).unwrap();
    // `mini_lambda` sits next to the workspace, so both live in `fixtures/`.
    let root = source_root(&core.workspaces, &ws, &[]).unwrap();
    assert_eq!(root, fixtures());
    assert_eq!(relative_inside(&root, &ws.workspace_root), "workspace");
    let lone = load_workspace(&fixtures().join("mini_lambda/Cargo.toml"), &[]).unwrap();
    assert_eq!(source_root(&core.workspaces, &lone, &[]).unwrap(), fixtures().join("mini_lambda"));
    assert_eq!(relative_inside(&lone.workspace_root, &lone.workspace_root), "");
}

#[test]
fn one_cargo_metadata_serves_every_member_and_an_edit_refreshes_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixtures(dir.path(), &["workspace", "mini_lambda"]);
    let root = dir.path().join("workspace");
    let (core, cargo) = common::core(None);
    let ws = core.workspaces.load(&root.join("Cargo.toml"), &[]).unwrap();
    for member in ["alpha", "beta", "shared"] {
        let again = core.workspaces.load(&root.join("members").join(member).join("Cargo.toml"), &[]).unwrap();
        assert_eq!(again.workspace_root, ws.workspace_root);
    }
    assert_eq!(cargo.runs_under(dir.path()), 1, "one cargo metadata for the whole workspace");
    // Editing a member manifest (a new binary) is seen on the next call.
    let alpha = root.join("members/alpha/Cargo.toml");
    let text = std::fs::read_to_string(&alpha).unwrap();
    std::fs::write(&alpha, text.replace("[dependencies]", "[[bin]]\nname = \"alpha-admin\"\npath = \"src/main.rs\"\n\n[[bin]]\nname = \"alpha\"\npath = \"src/main.rs\"\n\n[dependencies]")).unwrap();
    let refreshed = core.workspaces.load(&root.join("Cargo.toml"), &[]).unwrap();
    let bins = &refreshed.members.iter().find(|p| p.name == "alpha").unwrap().bins;
    assert!(bins.contains(&"alpha-admin".to_string()), "{bins:?}");
    assert_eq!(cargo.runs_under(dir.path()), 2);
}

#[test]
fn a_cargo_config_edit_is_seen_by_a_long_lived_process_too() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixtures(dir.path(), &["workspace", "mini_lambda"]);
    let root = dir.path().join("workspace");
    let (core, cargo) = common::core(None);
    let before = core.workspaces.load(&root.join("Cargo.toml"), &[]).unwrap();
    assert_eq!(before.target_directory, root.join("target"));
    std::fs::create_dir_all(root.join(".cargo")).unwrap();
    std::fs::write(root.join(".cargo/config.toml"), "[build]\ntarget-dir = \"elsewhere\"\n").unwrap();
    let after = core.workspaces.load(&root.join("Cargo.toml"), &[]).unwrap();
    assert_eq!(after.target_directory, root.join("elsewhere"));
    assert_eq!(cargo.runs_under(dir.path()), 2);
}

#[test]
fn the_disk_cache_answers_until_a_manifest_or_a_cargo_config_changes() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixtures(dir.path(), &["workspace", "mini_lambda"]);
    let root = dir.path().join("workspace");
    let manifest = root.join("Cargo.toml");
    let cache = dir.path().join("cache");
    let cargo = common::CountingCargo::default();
    // A fresh core per read: a new process, with only the disk cache shared.
    let read = |env: &[(String, String)]| {
        let core = cdk_lambda_rust_core::Core::new(
            Box::new(cargo.clone()),
            Some(cdk_lambda_rust_core::metadata_cache::DiskCache::at(cache.clone())),
        );
        (*core.workspaces.load(&manifest, env).unwrap()).clone()
    };
    let runs = || cargo.runs_under(&root);
    let first = read(&[]);
    assert_eq!(runs(), 1);
    assert_eq!(read(&[]), first, "answered from disk");
    assert_eq!(runs(), 1, "no cargo for an unchanged workspace");

    let beta = root.join("members/beta/Cargo.toml");
    std::fs::write(&beta, std::fs::read_to_string(&beta).unwrap() + "\n# edited\n").unwrap();
    read(&[]);
    assert_eq!(runs(), 2, "a member manifest changed");
    read(&[]);
    assert_eq!(runs(), 2);

    std::fs::create_dir_all(root.join(".cargo")).unwrap();
    std::fs::write(root.join(".cargo/config.toml"), "[build]\ntarget-dir = \"elsewhere\"\n").unwrap();
    let moved = read(&[]);
    assert_eq!(runs(), 3, "a new .cargo/config.toml");
    assert_eq!(moved.target_directory, root.join("elsewhere"));

    let env = vec![("CARGO_TARGET_DIR".to_string(), "/tmp/other".to_string())];
    assert_eq!(read(&env).target_directory, Path::new("/tmp/other"));
    assert_eq!(runs(), 4, "another build environment");
}

#[test]
fn members_depending_on_a_lambda_runtime_crate_hold_lambda_functions() {
    // fixtures/runtime_deps has no `[package.metadata.lambda]` table: only
    // the dependencies tell (read without downloading them).
    let ws = load_workspace(&fixtures().join("runtime_deps/Cargo.toml"), &[]).unwrap();
    let mut lambda: Vec<(&str, bool)> = ws.members.iter().map(|p| (p.name.as_str(), p.is_lambda)).collect();
    lambda.sort();
    assert_eq!(
        lambda,
        [
            ("cli", false),
            ("dev-only", false),
            ("renamed", true),
            ("with-extension", true),
            ("with-http", true),
            ("with-runtime", true)
        ]
    );
    // A shared build for the command-line tool still takes every Lambda binary, and no other.
    let plan = cdk_lambda_rust_core::bundler::plan_shared_build(&ws, "cli", "cli");
    let bins: Vec<&str> = plan.iter().map(|(_, b)| b.as_str()).collect();
    assert_eq!(bins, ["cli", "renamed", "with-extension", "with-http", "with-runtime"]);
}
