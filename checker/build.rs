//! Tells the tests what this machine has: `no_chromium` where Debian's Chromium
//! (`/usr/bin/chromium`) is not installed, so that the screenshot test of the HTML report is
//! ignored there with its reason (`.ci/run` installs it). Installing Chromium later: `touch
//! checker/build.rs` (or `cargo clean -p shmlab-checker`) makes cargo look again.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(no_chromium)");
    println!("cargo::rerun-if-changed=build.rs");
    let chromium = std::path::Path::new("/usr/bin/chromium");
    if chromium.exists() {
        println!("cargo::rerun-if-changed=/usr/bin/chromium");
    } else {
        println!("cargo::rustc-cfg=no_chromium");
    }
}
