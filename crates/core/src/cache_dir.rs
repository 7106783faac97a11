//! The package's cache folder. The metadata cache and the Docker cargo cache
//! both live below it.

use std::path::PathBuf;

/// `explicit` (`$CDK_LAMBDA_RUST_CACHE_DIR`), else `<xdg>/cdk-lambda-rust` for
/// an absolute `$XDG_CACHE_HOME`, else `<home>/.cache/cdk-lambda-rust`. Values
/// come in as arguments so the construct can pass the environment its
/// JavaScript sees.
pub fn cache_base(explicit: Option<&str>, xdg: Option<&str>, home: Option<&str>) -> Option<PathBuf> {
    let given = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(PathBuf::from);
    given(explicit)
        .or_else(|| given(xdg).filter(|p| p.is_absolute()).map(|p| p.join("cdk-lambda-rust")))
        .or_else(|| given(home).map(|h| h.join(".cache").join("cdk-lambda-rust")))
}

/// `cache_base` from this process's environment.
pub fn process_cache_base() -> Option<PathBuf> {
    let var = |k: &str| std::env::var(k).ok();
    cache_base(var("CDK_LAMBDA_RUST_CACHE_DIR").as_deref(), var("XDG_CACHE_HOME").as_deref(), var("HOME").as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_base_prefers_the_explicit_folder_then_xdg_then_home() {
        let base = |e, x, h| cache_base(e, x, h).map(|p| p.to_string_lossy().into_owned());
        assert_eq!(base(Some("/c"), Some("/x"), Some("/h")).as_deref(), Some("/c"));
        assert_eq!(base(None, Some("/x"), Some("/h")).as_deref(), Some("/x/cdk-lambda-rust"));
        assert_eq!(base(Some(""), Some("relative"), Some("/h")).as_deref(), Some("/h/.cache/cdk-lambda-rust"));
        assert_eq!(base(None, None, None), None);
    }
}
