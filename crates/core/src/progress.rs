//! Every line the package prints while synthesizing, in one place. They go to
//! stderr: a synth's stdout may be a CloudFormation template.

use std::io::Write;

use crate::command::BuildCommand;
use crate::config::BuildTool;

fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "cdk-lambda-rust: {line}");
}

/// A build command, as it starts.
pub fn running(cmd: &BuildCommand) {
    say(&cmd.display());
}

/// A shared build failed; the function's own binary is built alone next.
pub fn shared_build_failed(binaries: usize, binary: &str, cause: &str) {
    say(&format!("the shared build of {binaries} binaries failed; building `{binary}` alone.\n{cause}"));
}

/// A function's binary was built by a cargo invocation of `binaries` binaries.
pub fn built(function: &str, tool: BuildTool, binaries: usize) {
    let noun = if binaries == 1 { "binary" } else { "binaries" };
    say(&format!("{function}: built with {} ({binaries} {noun} in one cargo invocation)", tool.name()));
}

/// A function's binary came from an earlier build of this synth.
pub fn reused(function: &str) {
    say(&format!("{function}: reused from this synth's build"));
}

/// A function's asset was already in `cdk.out`: CDK did not ask for a build.
pub fn unchanged(function: &str) {
    say(&format!("{function}: unchanged (its asset is already in cdk.out), not rebuilt"));
}

/// No local build tool: CDK runs Docker next.
pub fn docker_fallback(function: &str, image: &str, architecture: &str) {
    say(&format!(
        "{function}: neither cargo-lambda nor cargo-zigbuild is on PATH, so it is built with Docker (image {image}, target {architecture}). \
         To build on this machine instead: pip install cargo-lambda. \
         To always use Docker and silence this note: bundling.forceDockerBundling = true."
    ));
}

/// A workspace had no `Cargo.lock`; one was created.
pub fn lockfile_created(workspace_root: &std::path::Path) {
    say(&format!(
        "created {}/Cargo.lock: commit it. It is part of every function's asset hash, and machines that cannot create it (no cargo) need it to compute the same hash.",
        workspace_root.display()
    ));
}

/// A workspace has no `Cargo.lock`, and none could be created.
pub fn lockfile_missing(workspace_root: &std::path::Path, why: &str) {
    say(&format!(
        "{} has no Cargo.lock and none could be created ({why}). The asset hash will change once a build creates it: create and commit one (`cargo generate-lockfile`).",
        workspace_root.display()
    ));
}

/// A function's asset came from the asset store: no build ran.
pub fn restored(function: &str) {
    say(&format!(
        "{function}: taken from the asset store (built earlier with the same sources, configuration and toolchain)"
    ));
}
