use std::process::ExitCode;

fn main() -> ExitCode {
    endotrial::cli::main()
}
