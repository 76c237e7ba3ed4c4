//! integration-ws: not served yet; the endpoints arrive with the rest of the integration-service
//! issue. Running it explains that rather than pretending.

fn main() -> std::process::ExitCode {
    eprintln!("integration-ws: the integration API is under construction (see README); nothing to serve yet");
    std::process::ExitCode::FAILURE
}
