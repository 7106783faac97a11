//! Property tests over the rules that take user input: paths, binary names,
//! workspace shapes, manifests, ELF bytes and command rendering. CI runs them
//! with proptest's default case count; `scripts/fuzz.sh` runs the same
//! properties for a bounded time with many more cases.

mod common;

use std::path::{Component, Path, PathBuf};

use proptest::prelude::*;

use cdk_lambda_rust_core::command::{build_command, BuildTargets};
use cdk_lambda_rust_core::config::{BuildConfig, BuildTool};
use cdk_lambda_rust_core::docker::{docker_command, ContainerBuild};
use cdk_lambda_rust_core::elf::read_elf_info;
use cdk_lambda_rust_core::entry::{absolute, find_manifest, select_binary, validate_binary_name, EntryRequest};
use cdk_lambda_rust_core::metadata::{PackageInfo, WorkspaceInfo};
use cdk_lambda_rust_core::ErrorCode;

fn config(extra: Vec<String>, env: Vec<(String, String)>) -> BuildConfig {
    BuildConfig {
        triple: "x86_64-unknown-linux-gnu".into(),
        profile: "release".into(),
        tool: BuildTool::CargoLambda,
        extra_build_args: extra,
        environment: env,
        artifact: Default::default(),
    }
}

fn container_command(package: &str, binary: &str, config: &BuildConfig) -> Vec<String> {
    docker_command(&ContainerBuild {
        workspace_in_source: "",
        package,
        binary,
        config,
        before_bundling: &[],
        after_bundling: &[],
        forced: true,
        passes_environment: false,
    })
    .unwrap()
}

/// Path-ish strings: separators, dots, odd characters.
fn path_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof!["[a-z]{1,4}", Just(".".to_string()), Just("..".to_string()), "[ $;'\"\n\\\\*]{1,3}"],
        0..8,
    )
    .prop_map(|parts| parts.join("/"))
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_-]{0,6}"
}

prop_compose! {
    fn workspace()(members in proptest::collection::vec((name(), proptest::collection::vec(name(), 0..4), any::<bool>()), 0..6)) -> WorkspaceInfo {
        WorkspaceInfo {
            workspace_root: "/ws".into(),
            target_directory: "/ws/target".into(),
            members: members.into_iter().map(|(n, bins, is_lambda)| PackageInfo {
                manifest_path: PathBuf::from(format!("/ws/{n}/Cargo.toml")),
                name: n,
                has_lib: bins.is_empty(),
                bins,
                path_deps: vec![],
                is_lambda,
            }).collect(),
        }
    }
}

proptest! {
    #[test]
    fn absolute_paths_have_no_dot_components(rel in path_text()) {
        let out = absolute(Path::new("/base/dir"), Path::new(&rel));
        prop_assert!(out.is_absolute());
        prop_assert!(out.components().all(|c| !matches!(c, Component::CurDir | Component::ParentDir)), "{out:?}");
        prop_assert_eq!(absolute(Path::new("/elsewhere"), &out), out.clone());
    }

    #[test]
    fn binary_names_accepted_are_plain_words(name in "\\PC{0,12}") {
        if validate_binary_name(&name).is_ok() {
            prop_assert!(!name.is_empty() && !name.starts_with('-'));
            prop_assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        }
    }

    #[test]
    fn binary_selection_never_panics_and_picks_what_exists(ws in workspace(), pick in 0usize..8, wanted in proptest::option::of("\\PC{0,8}")) {
        let manifest = ws.members.get(pick).map(|p| p.manifest_path.clone()).unwrap_or_else(|| PathBuf::from("/ws/Cargo.toml"));
        match select_binary(&ws, &manifest, wanted.as_deref()) {
            Ok(sel) => {
                prop_assert!(sel.package.bins.contains(&sel.binary));
                if let Some(w) = &wanted { prop_assert_eq!(&sel.binary, w); }
            }
            Err(e) => {
                if e.code() == ErrorCode::UnknownBinary {
                    for bin in ws.members.iter().flat_map(|p| p.bins.iter()) {
                        prop_assert!(e.message().contains(bin.as_str()), "{} misses {}", e, bin);
                    }
                }
            }
        }
    }

    #[test]
    fn manifest_search_never_panics(entry in proptest::option::of(path_text()), id in proptest::option::of("\\PC{0,8}"), file in path_text()) {
        let req = EntryRequest {
            defining_file: Some(PathBuf::from(format!("/nonexistent/{file}"))),
            id,
            entry: entry.map(PathBuf::from),
            cwd: PathBuf::from("/nonexistent-cwd"),
        };
        if let Err(e) = find_manifest(&req) {
            prop_assert!(matches!(e.code(), ErrorCode::EntryNotFound | ErrorCode::InvalidEntry), "{e}");
        }
    }

    #[test]
    fn elf_parsing_never_panics_on_mutated_binaries(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16), cut in any::<prop::sample::Index>()) {
        let mut bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        bytes.truncate(64 * 1024.max(cut.index(bytes.len())));
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let _ = read_elf_info(&bytes);
    }

    #[test]
    fn user_values_never_become_docker_script_text(arg in "\\PC{1,12}", bin in name()) {
        // The script text must not depend on user values at all: they travel
        // as positional arguments.
        let argv = container_command("pkg", &bin, &config(vec![arg.clone()], vec![]));
        let reference = container_command("other", "x", &config(vec!["y".into()], vec![]));
        prop_assert_eq!(&argv[2], &reference[2]);
        prop_assert_eq!(argv.last().unwrap(), &arg);
    }

    #[test]
    fn displayed_commands_split_back_into_the_same_argv(args in proptest::collection::vec("[ -~\n]{0,10}", 0..4)) {
        // What users copy from our logs must run the same command.
        let cmd = build_command(Path::new("/w s"), Path::new("/t"), &config(args, vec![]), &BuildTargets { binaries: vec![("p".into(), "b".into())] });
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("for a in {}; do printf '%s\\0' \"$a\"; done", cmd.display()))
            .output()
            .unwrap();
        // Every word is NUL-terminated, so empty arguments survive the split.
        let mut split: Vec<String> = out.stdout.split(|b| *b == 0).map(|s| String::from_utf8_lossy(s).into_owned()).collect();
        prop_assert_eq!(split.pop(), Some(String::new()));
        let mut expected = vec![cmd.program.clone()];
        expected.extend(cmd.args.iter().cloned());
        prop_assert_eq!(split, expected);
    }
}

proptest! {
    // Each case runs `cargo metadata`: few cases in CI, many in scripts/fuzz.sh.
    #![proptest_config(ProptestConfig::with_cases(std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(12)))]

    #[test]
    fn arbitrary_manifests_give_a_coded_error_or_a_workspace(body in manifest_text()) {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/main.rs"), "fn main() {}").unwrap();
        std::fs::write(&manifest, &body).unwrap();
        let (core, _) = common::core(None);
        match core.workspaces.load(&manifest, &[]) {
            Ok(ws) => prop_assert!(!ws.members.is_empty() || body.contains("[workspace]")),
            Err(e) => {
                prop_assert_eq!(e.code(), ErrorCode::ManifestInvalid, "{}", e);
                prop_assert!(!e.message().contains("panicked"));
            }
        }
    }
}

/// Manifests near the valid ones: real keys, odd values, broken syntax.
fn manifest_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("[package]".to_string()),
        Just("[workspace]".to_string()),
        Just("[[bin]]".to_string()),
        Just("[dependencies]".to_string()),
        "name = \"[a-z\\-_ $]{0,8}\"",
        Just("version = \"0.1.0\"".to_string()),
        Just("edition = \"2021\"".to_string()),
        "path = \"[a-z/.]{0,10}\"",
        "members = \\[\"[a-z*/.]{0,6}\"\\]",
        "version.workspace = (true|false)",
        "[\\PC]{0,20}",
    ];
    proptest::collection::vec(line, 0..8).prop_map(|lines| lines.join("\n"))
}
