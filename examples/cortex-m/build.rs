//! Puts the chosen memory map where cortex-m-rt's link.x finds it (`INCLUDE memory.x`: the
//! linker looks in its working directory, then in the `-L` paths, so no `memory.x` may sit in
//! the package root or it would always win), and
//! checks that the weight bundle src/main.rs embeds exists, with a hint when it does not.

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let map =
        if env::var_os("CARGO_FEATURE_SMALL_PART").is_some() { "memory/1m-256k.x" } else { "memory/mps2-an386.x" };
    fs::copy(map, out.join("memory.x")).expect("copy the memory map");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory");

    let quant = if env::var_os("CARGO_FEATURE_F32").is_some() { "f32" } else { "int8" };
    let dir = env::var("HDRL_BUNDLE_DIR").expect("HDRL_BUNDLE_DIR is set in .cargo/config.toml");
    let bundle = PathBuf::from(dir).join(format!("{quant}.hdrl"));
    println!("cargo:rerun-if-env-changed=HDRL_BUNDLE_DIR");
    println!("cargo:rerun-if-changed={}", bundle.display());
    if !bundle.is_file() {
        panic!(
            "{} is missing: generate the bundles first with\n  \
             (cd host && cargo run --release -- bundle ../bundles)\nor run ./run-qemu-test.sh",
            bundle.display()
        );
    }
}
