//! Lambda architectures and runtimes: which target triple to build, which ELF
//! machine to expect, and the newest glibc each runtime provides.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The glibc target Lambda's `provided.*` runtimes run.
    pub fn triple(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
            Arch::Arm64 => "aarch64-unknown-linux-gnu",
        }
    }

    /// The platform string Docker uses for this architecture.
    pub fn docker_platform(self) -> &'static str {
        match self {
            Arch::X86_64 => "linux/amd64",
            Arch::Arm64 => "linux/arm64",
        }
    }
}

/// The newest GLIBC symbol version a runtime can satisfy, or `None` when we
/// do not know the runtime (then the glibc check is skipped, not guessed).
pub fn runtime_max_glibc(runtime_name: &str) -> Option<(u32, u32)> {
    match runtime_name {
        "provided.al2023" => Some((2, 34)),
        "provided.al2" => Some((2, 26)),
        "provided" => Some((2, 17)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architectures_map_to_gnu_triples() {
        assert_eq!(Arch::X86_64.triple(), "x86_64-unknown-linux-gnu");
        assert_eq!(Arch::Arm64.triple(), "aarch64-unknown-linux-gnu");
        assert_eq!(Arch::Arm64.docker_platform(), "linux/arm64");
    }

    #[test]
    fn runtimes_know_their_glibc() {
        assert_eq!(runtime_max_glibc("provided.al2023"), Some((2, 34)));
        assert_eq!(runtime_max_glibc("provided.al2"), Some((2, 26)));
        assert_eq!(runtime_max_glibc("nodejs20.x"), None);
    }
}
