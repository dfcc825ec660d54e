fn main() -> std::process::ExitCode {
    // Before any thread starts: see the function's comment.
    rampart::auth::password::tune_allocator();
    rampart::cli::main()
}
