//! The `shmlab` command; everything lives in the library.

fn main() -> std::process::ExitCode {
    shmlab_checker::app::main()
}
