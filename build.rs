fn main() {
    // Windows: napi-build's windows-gnu setup links against MSYS2's
    // `libnode.dll`, which the official Node for Windows does not have. The
    // addon instead finds N-API in the host process when it loads (napi's
    // `dyn-symbols`, see Cargo.toml), so it links against nothing of Node's.
    let windows_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    if windows_gnu {
        println!("cargo::rustc-check-cfg=cfg(napi_wasi_threads)");
        println!("cargo::rustc-check-cfg=cfg(napi_wasi_no_heap_sync)");
        return;
    }
    napi_build::setup();
}
