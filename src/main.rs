use std::process::ExitCode;

fn main() -> ExitCode {
    // Die quietly on a closed pipe (`endotrial ... | head`), as Unix tools do, instead of
    // panicking in println!.
    #[cfg(unix)]
    // SAFETY: called first, before any other thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    endotrial::cli::main()
}
